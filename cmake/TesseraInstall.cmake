# Installation: the libraries, their headers, the tessera command, and a CMake package so that
# users write find_package(Tessera) and link tessera::tessera, or
# find_package(Tessera COMPONENTS jobs) and link tessera::jobs as well. Each library has its own
# export set, so that only an embedder who asks for the job layer needs its dependencies (libpng).
include(CMakePackageConfigHelpers)

set(TESSERA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tessera)

install(TARGETS tessera EXPORT TesseraTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tessera_jobs EXPORT TesseraJobsTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tessera
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/include/tessera/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tessera)
install(EXPORT TesseraTargets
  NAMESPACE tessera::
  DESTINATION ${TESSERA_CMAKE_DIR})
install(EXPORT TesseraJobsTargets
  NAMESPACE tessera::
  DESTINATION ${TESSERA_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/templates/TesseraConfig.cmake.in
  ${PROJECT_BINARY_DIR}/TesseraConfig.cmake
  INSTALL_DESTINATION ${TESSERA_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TesseraConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TesseraConfig.cmake ${PROJECT_BINARY_DIR}/TesseraConfigVersion.cmake
        DESTINATION ${TESSERA_CMAKE_DIR})
