#include "storage/store_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace halo::storage {
namespace {

TEST(StoreFormat, KeysAreBigEndianAndSortLikeIds) {
  char a[kKeySize], b[kKeySize];
  EncodeNodeKey(0x0102030405060708LL, a);
  EXPECT_EQ(std::string(a, kKeySize), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(DecodeNodeKey(a), 0x0102030405060708LL);
  const core::NodeId ids[] = {0, 1, 255, 256, 65535, 65536, (1LL << 40) + 3, INT64_MAX};
  for (size_t i = 0; i + 1 < sizeof(ids) / sizeof(ids[0]); ++i) {
    EncodeNodeKey(ids[i], a);
    EncodeNodeKey(ids[i + 1], b);
    EXPECT_LT(std::memcmp(a, b, kKeySize), 0) << ids[i] << " vs " << ids[i + 1];
    EXPECT_EQ(DecodeNodeKey(a), ids[i]);
  }
}

TEST(StoreFormat, Crc32MatchesZlib) {
  // The standard check value of CRC-32 (as Python's zlib.crc32(b"123456789")).
  EXPECT_EQ(Crc32(0, "123456789", 9), 0xCBF43926u);
  // Incremental == one shot.
  EXPECT_EQ(Crc32(Crc32(0, "12345", 5), "6789", 4), 0xCBF43926u);
  EXPECT_EQ(Crc32(0, "", 0), 0u);
}

StoreMeta SampleMeta() {
  StoreMeta m;
  m.format_version = kStoreFormatVersion;
  m.node_begin = 42;
  m.num_rows = 7;
  m.feature_dim = 3;
  m.dtype = "float32";
  m.has_features = true;
  m.has_masks = true;
  m.mask_kinds = {"train", "test"};
  m.checksums = {{"features", 123u}, {"masks", 0xffffffffu}};
  return m;
}

TEST(StoreFormat, MetaRoundTrips) {
  auto kv = EncodeStoreMeta(SampleMeta());
  EXPECT_EQ(kv["kinds"], "features,masks");
  EXPECT_EQ(kv["checksum.masks"], "4294967295");
  auto m = ParseStoreMeta(kv, "db");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->node_begin, 42);
  EXPECT_EQ(m->num_rows, 7);
  EXPECT_EQ(m->node_end(), 49);
  EXPECT_EQ(m->feature_dim, 3);
  EXPECT_TRUE(m->has_features);
  EXPECT_FALSE(m->has_labels);
  EXPECT_TRUE(m->has_masks);
  EXPECT_EQ(m->mask_kinds, (std::vector<std::string>{"train", "test"}));
  EXPECT_EQ(m->checksums, SampleMeta().checksums);
}

TEST(StoreFormat, MetaRejectsBadValues) {
  auto check = [](const std::string& key, const std::string& value, const std::string& needle) {
    auto kv = EncodeStoreMeta(SampleMeta());
    if (value == "<erase>") {
      kv.erase(key);
    } else {
      kv[key] = value;
    }
    auto m = ParseStoreMeta(kv, "db");
    ASSERT_FALSE(m.ok()) << key;
    EXPECT_EQ(m.status().code(), core::StatusCode::kCorruption);
    EXPECT_NE(m.status().message().find(needle), std::string::npos) << m.status().message();
  };
  check("format_version", "2", "format_version 2");
  check("num_rows", "<erase>", "'num_rows'");
  check("num_rows", "12x", "not an integer");
  check("node_begin", "-1", "negative");
  check("dtype", "float16", "dtype");
  check("kinds", "features,images", "unknown kind 'images'");
  check("feature_dim", "0", "disagrees");
  check("mask_kinds", "train,holdout", "unknown mask kind");
  check("checksum.features", "<erase>", "checksum.features");
}

}  // namespace
}  // namespace halo::storage
