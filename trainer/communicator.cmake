# halo_comm: the Communicator (Gloo on CPU, NCCL on GPU) and the Gloo store over the coordinator.
# Included by trainer/CMakeLists.txt before halo_trainer.

# Debian's libgloo-dev ships a CMake config (/usr/share/cmake/Gloo, imported target `gloo`); other
# installs may not: fall back to find_path/find_library. Debian's build has the TCP transport we
# use (and ibverbs/hiredis, which libgloo.so pulls in by itself).
find_package(Gloo CONFIG QUIET)
if(NOT TARGET gloo)
  find_path(GLOO_INCLUDE_DIR gloo/context.h REQUIRED)
  find_library(GLOO_LIBRARY gloo REQUIRED)
  add_library(gloo UNKNOWN IMPORTED)
  set_target_properties(gloo PROPERTIES IMPORTED_LOCATION ${GLOO_LIBRARY}
                                        INTERFACE_INCLUDE_DIRECTORIES ${GLOO_INCLUDE_DIR})
endif()

set(HALO_COMM_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/communicator.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/comm_rendezvous.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/coordinator_store.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/gloo_communicator.cc
)
if(HALO_WITH_CUDA)
  list(APPEND HALO_COMM_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/nccl_communicator.cc)
endif()

add_library(halo_comm ${HALO_COMM_SOURCES})
target_include_directories(halo_comm PUBLIC ${PROJECT_SOURCE_DIR})
# gloo is public: gloo_communicator.h and coordinator_store.h expose its types (communicator.h
# does not).
target_link_libraries(halo_comm PUBLIC halo_core halo_net gloo Threads::Threads)

if(HALO_WITH_CUDA)
  # NCCL has no CMake config: find it next to the CUDA toolkit (or in /usr/local).
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} REQUIRED)
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib
               REQUIRED)
  target_include_directories(halo_comm PRIVATE ${NCCL_INCLUDE_DIR})
  target_link_libraries(halo_comm PRIVATE ${NCCL_LIBRARY} CUDA::cudart)
endif()
