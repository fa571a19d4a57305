# Device sets for the test suite. Every test binary registered with tessera_add_test() runs once
# per device set, with the OpenCL environment of that set, so multi-device paths always run.
#
#   pocl      one PoCL pthread device
#   pocl2     two PoCL devices: pthread and basic
#   pocl1cu   two 1-compute-unit PoCL devices (pthread pthread, POCL_MAX_PTHREAD_COUNT=1)
#   fission   one PoCL pthread device split into 1-CU sub-devices (RuntimeOptions::cpu_split)
#   oclgrind  Oclgrind (a slow simulator, transfer path) beside a PoCL pthread device
#   broken    a PoCL device beside a fake platform whose clGetDeviceIDs fails
#   none      an empty ICD folder: no platform at all
#
# The ICD folders are laid out in the build tree, so no test needs root or /etc/OpenCL.

find_file(TESSERA_POCL_ICD pocl.icd PATHS /etc/OpenCL/vendors NO_DEFAULT_PATH)
find_file(TESSERA_OCLGRIND_ICD_LIB liboclgrind-rt-icd.so
  PATHS /usr/lib/oclgrind /usr/lib/x86_64-linux-gnu/oclgrind /usr/local/lib/oclgrind NO_DEFAULT_PATH)
if(NOT TESSERA_POCL_ICD OR NOT TESSERA_OCLGRIND_ICD_LIB)
  message(FATAL_ERROR "The tests need PoCL and Oclgrind: run cmake/install-deps.sh "
                      "(pocl.icd: '${TESSERA_POCL_ICD}', Oclgrind: '${TESSERA_OCLGRIND_ICD_LIB}')")
endif()
file(READ ${TESSERA_POCL_ICD} tessera_pocl_icd_line)

set(TESSERA_ICD_ROOT ${PROJECT_BINARY_DIR}/icd)
file(MAKE_DIRECTORY ${TESSERA_ICD_ROOT}/none)
file(WRITE ${TESSERA_ICD_ROOT}/pocl/pocl.icd "${tessera_pocl_icd_line}")
file(WRITE ${TESSERA_ICD_ROOT}/oclgrind/pocl.icd "${tessera_pocl_icd_line}")
file(WRITE ${TESSERA_ICD_ROOT}/oclgrind/oclgrind.icd "${TESSERA_OCLGRIND_ICD_LIB}\n")
file(WRITE ${TESSERA_ICD_ROOT}/broken/pocl.icd "${tessera_pocl_icd_line}")
# broken/fake.icd names the fake ICD library; written at generate time (its path is a genex).
file(GENERATE OUTPUT ${TESSERA_ICD_ROOT}/broken/fake.icd
  CONTENT "$<TARGET_FILE:tessera_fake_icd>\n")

set(TESSERA_TEST_TOPOLOGIES pocl pocl2 pocl1cu fission oclgrind)

# The environment of one device set, as a list of NAME=VALUE.
function(tessera_topology_environment topology out)
  set(env
    TESSERA_TEST_TOPOLOGY=${topology}
    TESSERA_DEVICES=
    TESSERA_LOG=warn
    TESSERA_CACHE_DIR=${PROJECT_BINARY_DIR}/test-cache/${topology}
    POCL_KERNEL_CACHE=1
    POCL_CACHE_DIR=${PROJECT_BINARY_DIR}/test-cache/pocl)
  if(topology STREQUAL "pocl" OR topology STREQUAL "fission")
    list(APPEND env OCL_ICD_VENDORS=${TESSERA_ICD_ROOT}/pocl POCL_DEVICES=pthread)
  elseif(topology STREQUAL "pocl2")
    list(APPEND env OCL_ICD_VENDORS=${TESSERA_ICD_ROOT}/pocl "POCL_DEVICES=pthread basic")
  elseif(topology STREQUAL "pocl1cu")
    list(APPEND env OCL_ICD_VENDORS=${TESSERA_ICD_ROOT}/pocl "POCL_DEVICES=pthread pthread"
                    POCL_MAX_PTHREAD_COUNT=1)
  elseif(topology STREQUAL "oclgrind")
    list(APPEND env OCL_ICD_VENDORS=${TESSERA_ICD_ROOT}/oclgrind POCL_DEVICES=pthread)
  elseif(topology STREQUAL "broken")
    list(APPEND env OCL_ICD_VENDORS=${TESSERA_ICD_ROOT}/broken POCL_DEVICES=pthread)
  elseif(topology STREQUAL "none")
    list(APPEND env OCL_ICD_VENDORS=${TESSERA_ICD_ROOT}/none)
  else()
    message(FATAL_ERROR "unknown test topology '${topology}'")
  endif()
  set(${out} "${env}" PARENT_SCOPE)
endfunction()

# tessera_add_test(NAME SOURCES src... [TOPOLOGIES t...] [LABELS l...])
# Builds test_NAME (doctest) and registers NAME.TOPOLOGY for each device set (default: all of
# TESSERA_TEST_TOPOLOGIES). A test with no device needs can pass TOPOLOGIES none.
function(tessera_add_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;TOPOLOGIES;LABELS" ${ARGN})
  if(NOT arg_TOPOLOGIES)
    set(arg_TOPOLOGIES ${TESSERA_TEST_TOPOLOGIES})
  endif()
  add_executable(test_${name} ${arg_SOURCES})
  target_link_libraries(test_${name} PRIVATE tessera_test_support)
  tessera_set_warnings(test_${name})
  foreach(topology IN LISTS arg_TOPOLOGIES)
    tessera_topology_environment(${topology} env)
    add_test(NAME ${name}.${topology} COMMAND test_${name})
    set_tests_properties(${name}.${topology} PROPERTIES
      ENVIRONMENT "${env}"
      LABELS "${name};${topology};${arg_LABELS}"
      TIMEOUT 600)
  endforeach()
endfunction()
