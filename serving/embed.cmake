# halo_embed: layer-wise full-graph inference over a partition (trainer's model, part files);
# halo-embed writes its output into an embedding store (docs/halo-embed.md).
add_library(halo_embed ${CMAKE_CURRENT_SOURCE_DIR}/layerwise_inference.cc)
target_include_directories(halo_embed PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(halo_embed PUBLIC halo_trainer halo_core PRIVATE halo_partition halo_sampler)

add_executable(halo-embed ${CMAKE_CURRENT_SOURCE_DIR}/embed_main.cc)
target_link_libraries(halo-embed PRIVATE halo_embed halo_serving halo_trainer gflags::gflags)
