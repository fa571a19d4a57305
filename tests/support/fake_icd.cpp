// A fake OpenCL ICD whose platform enumerates but whose clGetDeviceIDs fails with
// CL_OUT_OF_HOST_MEMORY: the "broken platform" of the discovery tests. Loaded by the ICD loader
// through an .icd file in the "broken" test topology; never linked into anything.

#include <CL/cl_icd.h>

#include <cstring>

struct _cl_platform_id {
  cl_icd_dispatch* dispatch;
};

namespace {

cl_int get_platform_info(cl_platform_id, cl_platform_info name, size_t size, void* value,
                         size_t* size_ret) {
  const char* text = nullptr;
  switch (name) {
    case CL_PLATFORM_ICD_SUFFIX_KHR: text = "FAKE"; break;
    case CL_PLATFORM_NAME: text = "Tessera Broken Platform"; break;
    case CL_PLATFORM_VENDOR: text = "Tessera tests"; break;
    case CL_PLATFORM_VERSION: text = "OpenCL 1.2 broken"; break;
    case CL_PLATFORM_PROFILE: text = "FULL_PROFILE"; break;
    case CL_PLATFORM_EXTENSIONS: text = "cl_khr_icd"; break;
    default: return CL_INVALID_VALUE;
  }
  const size_t needed = std::strlen(text) + 1;
  if (value != nullptr) {
    if (size < needed) return CL_INVALID_VALUE;
    std::memcpy(value, text, needed);
  }
  if (size_ret != nullptr) *size_ret = needed;
  return CL_SUCCESS;
}

cl_int get_device_ids(cl_platform_id, cl_device_type, cl_uint, cl_device_id*, cl_uint*) {
  return CL_OUT_OF_HOST_MEMORY;
}

cl_icd_dispatch make_dispatch() {
  cl_icd_dispatch d{};
  d.clGetPlatformInfo = get_platform_info;
  d.clGetDeviceIDs = get_device_ids;
  return d;
}

cl_icd_dispatch dispatch = make_dispatch();
_cl_platform_id platform{&dispatch};

}  // namespace

extern "C" {

CL_API_ENTRY cl_int CL_API_CALL clIcdGetPlatformIDsKHR(cl_uint num_entries, cl_platform_id* platforms,
                                                       cl_uint* num_platforms) {
  if (platforms != nullptr && num_entries > 0) platforms[0] = &platform;
  if (num_platforms != nullptr) *num_platforms = 1;
  return CL_SUCCESS;
}

CL_API_ENTRY cl_int CL_API_CALL clGetPlatformInfo(cl_platform_id p, cl_platform_info name,
                                                  size_t size, void* value, size_t* size_ret) {
  return get_platform_info(p, name, size, value, size_ret);
}

CL_API_ENTRY void* CL_API_CALL clGetExtensionFunctionAddress(const char* name) {
  if (std::strcmp(name, "clIcdGetPlatformIDsKHR") == 0) {
    return reinterpret_cast<void*>(&clIcdGetPlatformIDsKHR);
  }
  return nullptr;
}

}  // extern "C"
