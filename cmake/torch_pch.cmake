# Precompiled LibTorch headers. Parsing <torch/torch.h> is most of the ~35 s that each LibTorch translation unit
# costs; GCC can load it precompiled instead. A precompiled header is only valid for the flags it was made with, so
# there is one per flag set, each made once and reused by every target with those flags:
#   diffseg_torch_pch         the common flags
#   diffseg_torch_pch_openmp  the same with -fopenmp (data and model run at::parallel_for, which tests _OPENMP)
# Only for GCC: clang refuses (rather than ignores) a precompiled header when a target's -D definitions differ
# from the header's, and the fuzz build (clang) has no use for it. Measured in docs/BENCHMARKS.md (clean build).
option(DIFFSEG_PRECOMPILE_TORCH "Precompile <torch/torch.h> (GCC) to shorten the build" ON)

if(DIFFSEG_PRECOMPILE_TORCH AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(DIFFSEG_TORCH_PCH_ENABLED ON)
  # ccache caches compiles that use a precompiled header only with these sloppiness settings (its manual,
  # "Precompiled headers"); the header is made during the build, so its time stamps are always new.
  if(CMAKE_CXX_COMPILER_LAUNCHER MATCHES "ccache")
    set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
        CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${CMAKE_CXX_COMPILER_LAUNCHER})
  endif()
  foreach(variant IN ITEMS "" _openmp)
    add_library(diffseg_torch_pch${variant} OBJECT ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
    target_link_libraries(diffseg_torch_pch${variant} PRIVATE torch)
    target_precompile_headers(diffseg_torch_pch${variant} PRIVATE <torch/torch.h>)
  endforeach()
  target_link_libraries(diffseg_torch_pch_openmp PRIVATE OpenMP::OpenMP_CXX)
else()
  set(DIFFSEG_TORCH_PCH_ENABLED OFF)
endif()

# --- which translation units reach LibTorch's headers ---
# A precompiled header is loaded by every translation unit of a target that uses it, and loading LibTorch's costs
# a few seconds: a torch-free file in such a target (schedule.cpp, launch_env.cpp, most commands of apps/) compiles
# in 2 s without it and 9 s with it. So each file is checked: it uses the header when it, or a header it includes
# from this project (followed recursively), includes <torch/...>, <ATen/...> or <c10/...>.
set_property(GLOBAL PROPERTY DIFFSEG_TORCH_INCLUDE_CACHE "")
function(_diffseg_reaches_torch file result)
  get_property(cache GLOBAL PROPERTY DIFFSEG_TORCH_INCLUDE_CACHE)
  string(MD5 key "${file}")
  if(cache MATCHES "${key}=([01])")
    set(${result} ${CMAKE_MATCH_1} PARENT_SCOPE)
    return()
  endif()
  set(reaches 0)
  set_property(GLOBAL APPEND_STRING PROPERTY DIFFSEG_TORCH_INCLUDE_CACHE "${key}=0;")  # ends include cycles
  file(STRINGS "${file}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(line IN LISTS includes)
    if(line MATCHES "<(torch|ATen|c10)/")
      set(reaches 1)
      break()
    elseif(line MATCHES "\"([^\"]+)\"")
      set(name "${CMAKE_MATCH_1}")
      get_filename_component(dir "${file}" DIRECTORY)
      foreach(candidate "${dir}/${name}" "${PROJECT_SOURCE_DIR}/src/${name}" "${PROJECT_SOURCE_DIR}/tests/${name}")
        if(EXISTS "${candidate}" AND NOT IS_DIRECTORY "${candidate}")
          _diffseg_reaches_torch("${candidate}" sub)
          if(sub)
            set(reaches 1)
          endif()
          break()
        endif()
      endforeach()
      if(reaches)
        break()
      endif()
    endif()
  endforeach()
  get_property(cache GLOBAL PROPERTY DIFFSEG_TORCH_INCLUDE_CACHE)
  string(REPLACE "${key}=0;" "${key}=${reaches};" cache "${cache}")
  set_property(GLOBAL PROPERTY DIFFSEG_TORCH_INCLUDE_CACHE "${cache}")
  set(${result} ${reaches} PARENT_SCOPE)
endfunction()

# diffseg_precompile_torch(TARGET [OPENMP]): TARGET's translation units that reach LibTorch's headers load the
# precompiled ones made with its flags (OPENMP: the target links OpenMP::OpenMP_CXX). A no-op where precompiled
# headers are off.
function(diffseg_precompile_torch target)
  cmake_parse_arguments(ARG "OPENMP" "" "" ${ARGN})
  if(NOT DIFFSEG_TORCH_PCH_ENABLED)
    return()
  endif()
  get_target_property(sources ${target} SOURCES)
  get_target_property(source_dir ${target} SOURCE_DIR)
  set(any_torch 0)
  foreach(source IN LISTS sources)
    get_filename_component(path "${source}" ABSOLUTE BASE_DIR "${source_dir}")
    set(reaches 0)
    if(EXISTS "${path}")
      _diffseg_reaches_torch("${path}" reaches)
    endif()
    if(reaches)
      set(any_torch 1)
    else()
      set_source_files_properties("${path}" TARGET_DIRECTORY ${target} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    endif()
  endforeach()
  if(NOT any_torch)
    return()
  endif()
  if(ARG_OPENMP)
    target_precompile_headers(${target} REUSE_FROM diffseg_torch_pch_openmp)
  else()
    target_precompile_headers(${target} REUSE_FROM diffseg_torch_pch)
  endif()
endfunction()
