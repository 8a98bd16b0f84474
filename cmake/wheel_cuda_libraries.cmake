# The CUDA torch wheel brings its own CUDA runtime, cuDNN and NCCL (site-packages/nvidia/*/lib), newer than a system
# toolkit's: libtorch_cuda needs NCCL symbols that /usr/local/cuda's libnccl lacks, and CMake's RPATH lists the
# toolkit (CUDA::cudart). Sets OUT to the linker options that put the wheel's folders first, for the linker
# (-rpath-link) and at run time (-rpath); empty for other LibTorch builds. Used by diffseg's own build and by the
# installed package (diffsegConfig.cmake), so programs embedding diffseg link the same way.
function(diffseg_wheel_cuda_link_options out)
  set(options "")
  if(TARGET torch_cuda AND TORCH_INSTALL_PREFIX)
    get_filename_component(site_packages "${TORCH_INSTALL_PREFIX}" DIRECTORY)
    file(GLOB dirs LIST_DIRECTORIES true "${site_packages}/nvidia/*/lib")
    if(dirs)
      list(JOIN dirs ":" path)
      set(options "LINKER:-rpath-link,${path}" "LINKER:-rpath,${path}")
    endif()
  endif()
  set(${out} "${options}" PARENT_SCOPE)
endfunction()
