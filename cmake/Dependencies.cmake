# Every third-party dependency of Halo, found once here. scripts/setup.sh installs them (Debian 12).
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenMP REQUIRED)
find_package(nlohmann_json 3 REQUIRED CONFIG)
set(GFLAGS_USE_TARGET_NAMESPACE ON)
find_package(gflags REQUIRED CONFIG)

# METIS has no CMake config on Debian: make an imported target.
find_path(METIS_INCLUDE_DIR metis.h REQUIRED)
find_library(METIS_LIBRARY metis REQUIRED)
add_library(halo_metis INTERFACE)
target_include_directories(halo_metis INTERFACE ${METIS_INCLUDE_DIR})
target_link_libraries(halo_metis INTERFACE ${METIS_LIBRARY})

if(HALO_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
endif()

if(HALO_WITH_CUDA)
  find_package(CUDAToolkit REQUIRED)
endif()
