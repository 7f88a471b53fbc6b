// Corruption tests: a store built from a partition verifies clean; each kind of damage done
// through a writable RocksDB open is reported by VerifyPart (and noticed by FeatureStore).
#include "storage/verify.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstring>
#include <memory>

#include "storage/feature_store.h"
#include "storage/part_arrays.h"
#include "storage/part_store_writer.h"
#include "storage/store_format.h"
#include "tests/storage/synthetic_partition.h"
#include "tests/test_util.h"

namespace halo::storage {
namespace {

using core::StatusCode;

// A writable RocksDB open of a part store, for damaging it.
class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    rocksdb::DBOptions opt;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : {"default", "features", "labels", "masks", "meta"}) {
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(opt, dir, cfs, &handles_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
  }
  ~RawDb() {
    for (auto* h : handles_) EXPECT_TRUE(db_->DestroyColumnFamilyHandle(h).ok());
    EXPECT_TRUE(db_->Close().ok());
  }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) {
    for (auto* h : handles_) {
      if (h->GetName() == name) return h;
    }
    return nullptr;
  }
  void Put(const std::string& cf_name, const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->Put(rocksdb::WriteOptions(), cf(cf_name), key, value).ok());
  }
  void Delete(const std::string& cf_name, const std::string& key) {
    EXPECT_TRUE(db_->Delete(rocksdb::WriteOptions(), cf(cf_name), key).ok());
  }
  std::string Get(const std::string& cf_name, const std::string& key) {
    std::string v;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), cf(cf_name), key, &v).ok());
    return v;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

std::string Key(core::NodeId id) {
  char k[kKeySize];
  EncodeNodeKey(id, k);
  return std::string(k, kKeySize);
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    part_ = testing::MakeSyntheticPartition(tmp_.path(), {0, 120, 300}, 6, 8, 23);
    info_ = part_.meta.parts[1];
    auto arrays = ReadPartArrays(tmp_.path(), info_);
    ASSERT_TRUE(arrays.ok()) << arrays.status().ToString();
    arrays_ = std::move(arrays).value();
    db_ = tmp_.File("store1");
    ASSERT_TRUE(WritePartStore(db_, arrays_.View()).ok());
  }
  // VerifyPart must fail with Corruption and mention every needle.
  void ExpectProblems(const std::vector<std::string>& needles) {
    VerifyReport report;
    core::Status s = VerifyPart(tmp_.path(), 1, db_, &report);
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    EXPECT_FALSE(report.ok());
    for (const auto& needle : needles) {
      EXPECT_NE(s.message().find(needle), std::string::npos)
          << "'" << needle << "' not in: " << s.message();
    }
  }
  halo::testing::TempDir tmp_;
  testing::SyntheticPartition part_;
  core::PartInfo info_;
  PartArrays arrays_;
  std::string db_;
};

TEST_F(VerifyTest, FreshStoreVerifies) {
  EXPECT_EQ(arrays_.num_rows, 180);
  EXPECT_EQ(arrays_.feature_dim, 6);
  VerifyReport report;
  core::Status s = VerifyPart(tmp_.path(), 1, db_, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.rows_checked, 3 * 180);
  EXPECT_EQ(report.ToString(), "ok (540 rows)");
}

TEST_F(VerifyTest, WrongPartOrPartIdIsReported) {
  core::Status s = VerifyPart(tmp_.path(), 0, db_);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("node_begin 120, partition says 0"), std::string::npos) << s.message();
  EXPECT_EQ(VerifyPart(tmp_.path(), 5, db_).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(VerifyPart(tmp_.path(), 1, tmp_.File("no-store")).ok());
}

TEST_F(VerifyTest, DeletedKeyIsReported) {
  { RawDb(db_).Delete("features", Key(150)); }
  ExpectProblems({"features: missing keys: 1 (150)", "CRC-32"});
  // The all-hot open scans the keys and refuses the store; a RocksDB read of the row fails.
  auto hot = FeatureStore::Open(db_, {});
  ASSERT_FALSE(hot.ok());
  EXPECT_EQ(hot.status().code(), StatusCode::kCorruption);
  FeatureStoreOptions cold;
  cold.mem_budget_mb = 0;
  auto store = FeatureStore::Open(db_, cold);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const int64_t ids[] = {151, 150};
  float out[12];
  core::Status s = (*store)->GetFeatures(ids, 2, out);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("global ID 150 is missing"), std::string::npos) << s.message();
}

TEST_F(VerifyTest, OverwrittenRowIsReported) {
  {
    RawDb raw(db_);
    std::string v = raw.Get("features", Key(200));
    ASSERT_EQ(v.size(), 24u);
    v[5] ^= 0x40;
    raw.Put("features", Key(200), v);
    raw.Put("masks", Key(121), std::string("\x01\x01\x01", 3));
  }
  ExpectProblems({"features: rows differing from the partition files: 1 (200)",
                  "features: CRC-32 of the values read is", "meta records",
                  "masks: rows differing from the partition files"});
}

TEST_F(VerifyTest, ExtraAndMalformedKeysAndBadSizesAreReported) {
  {
    RawDb raw(db_);
    raw.Put("labels", Key(300), std::string(8, '\0'));  // next part's first ID
    raw.Put("labels", Key(5), std::string(8, '\0'));
    raw.Put("labels", "oops", std::string(8, '\0'));
    raw.Put("features", Key(130), std::string(20, 'x'));  // 5 floats, not 6
  }
  ExpectProblems({"labels: keys outside the part range: 2 (5, 300)",
                  "labels: malformed keys (not 8 bytes): 1",
                  "features: values of the wrong size: 1 (130: 20 bytes)"});
}

TEST_F(VerifyTest, MetaMismatchIsReported) {
  { RawDb(db_).Put("meta", kMetaNumRows, "179"); }
  ExpectProblems({"meta: num_rows 179, partition says 180"});
  { RawDb(db_).Put("meta", kMetaFormatVersion, "9"); }
  ExpectProblems({"format_version 9"});
}

TEST_F(VerifyTest, ChangedPartitionFileIsReported) {
  // The store is fine; the partition's labels changed after the store was built.
  std::vector<int64_t> labels = arrays_.labels;
  labels[7] += 1;
  ASSERT_TRUE(core::WriteNpy(tmp_.File(info_.files.at("labels")), labels).ok());
  ExpectProblems(
      {"labels: rows differing from the partition files: 1 (127)", "the partition files give"});
}

}  // namespace
}  // namespace halo::storage
