# `cmake --install BUILD --prefix P` installs the diffseg CLI, the part libraries, their headers and a CMake package,
# so another project embeds diffseg with find_package(diffseg) and links diffseg::diffseg_eval (docs/embedding.md).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(DIFFSEG_PART_LIBRARIES diffseg_core diffseg_runtime diffseg_io diffseg_data diffseg_diffusion diffseg_model
    diffseg_dist diffseg_run_config diffseg_checkpoint diffseg_train diffseg_metrics diffseg_eval diffseg_experiment)
install(TARGETS ${DIFFSEG_PART_LIBRARIES} diffseg_nifticlib EXPORT diffsegTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS diffseg RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/diffseg DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(EXPORT diffsegTargets NAMESPACE diffseg:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/diffseg)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/diffsegConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/diffsegConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/diffseg)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/diffsegConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/diffsegConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/diffsegConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/wheel_cuda_libraries.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/diffseg)
