# halo-embed: layer-wise inference vs a whole-graph forward, and the binary end to end.
halo_add_test(serving_embed_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/embed_test.cc
  LIBS halo_embed halo_serving halo_trainer halo_integration_util)
add_dependencies(serving_embed_test halo-embed)
