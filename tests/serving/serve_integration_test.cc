// Real halo-serve processes on loopback, driven by an httplib client: lookups equal the store's
// rows (by global and original ID, single and batch), similar nodes equal a naive reference,
// bearer-token auth, every bad input answered with a 4xx JSON error while the server keeps
// serving, a reload under load with zero failed requests (HTTP and SIGHUP), /metrics counts, the
// IVF index cache across restarts and reloads, and clean exits on SIGTERM/SIGINT.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/process.h"
#include "tests/serving/serving_test_util.h"
#include "tests/test_util.h"

namespace halo::testing {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int64_t kNodes = 3000, kDim = 16, kClasses = 4;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A running halo-serve and the port it printed.
struct Server {
  std::unique_ptr<Process> process;
  int port = 0;
};

std::unique_ptr<Server> StartServer(const std::string& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {BinDir() + "/halo-serve", "--embeddings=" + dir, "--port=0",
                                   "--threads=4"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto s = std::make_unique<Server>();
  s->process = std::make_unique<Process>(argv);
  std::optional<std::string> line = s->process->WaitForLine("halo-serve: serving ", 60s);
  if (!line) {
    ADD_FAILURE() << "halo-serve did not become ready; output: " << s->process->output();
    return nullptr;
  }
  const size_t colon = line->rfind(':');
  s->port = std::stoi(line->substr(colon + 1));
  EXPECT_TRUE(Contains(*line, "serving 3000 embeddings (dim 16, version ")) << *line;
  EXPECT_TRUE(Contains(*line, "on http://127.0.0.1:")) << *line;
  return s;
}

std::unique_ptr<httplib::Client> Client(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_connection_timeout(10, 0);
  c->set_read_timeout(30, 0);
  return c;
}

struct Answer {
  int status = -1;  // -1: no HTTP answer at all
  Json json;
  std::string body;
  httplib::Headers headers;
};

Answer Wrap(const httplib::Result& r) {
  Answer a;
  if (!r) return a;
  a.status = r->status;
  a.body = r->body;
  a.headers = r->headers;
  if (r->get_header_value("Content-Type") == "application/json") {
    a.json = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  }
  return a;
}

Answer Get(httplib::Client& c, const std::string& path, const httplib::Headers& h = {}) {
  return Wrap(c.Get(path.c_str(), h));
}

Answer Post(httplib::Client& c, const std::string& path, const std::string& body,
            const httplib::Headers& h = {}) {
  return Wrap(c.Post(path.c_str(), h, body, "application/json"));
}

std::vector<float> Row(const EmbeddingData& d, int64_t id) {
  return std::vector<float>(d.row(id), d.row(id) + d.dim);
}

void ExpectRow(const Json& row, const EmbeddingData& d, int64_t id) {
  EXPECT_EQ(row["id"], id);
  EXPECT_EQ(row["original_id"], d.node_map[static_cast<size_t>(id)]);
  EXPECT_EQ(row["embedding"].get<std::vector<float>>(), Row(d, id)) << "global ID " << id;
  const float* logits = d.logits.data() + id * d.num_classes;
  EXPECT_EQ(row["logits"].get<std::vector<float>>(),
            std::vector<float>(logits, logits + d.num_classes));
  EXPECT_EQ(row["prediction"], ArgMax(logits, d.num_classes));
}

class ServeIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    v1_ = new EmbeddingData(MakeData(kNodes, kDim, kClasses, 41));
    v2_ = new EmbeddingData(MakeData(kNodes, kDim, kClasses, 42));
    WriteStore(tmp_->File("v1"), *v1_);
    WriteStore(tmp_->File("v2"), *v2_);
  }
  static void TearDownTestSuite() {
    delete v1_;
    delete v2_;
    delete tmp_;
  }
  static TempDir* tmp_;
  static EmbeddingData* v1_;
  static EmbeddingData* v2_;
};

TempDir* ServeIntegration::tmp_ = nullptr;
EmbeddingData* ServeIntegration::v1_ = nullptr;
EmbeddingData* ServeIntegration::v2_ = nullptr;

TEST_F(ServeIntegration, LookupsEqualTheStoreRows) {
  auto server = StartServer(tmp_->File("v1"));
  ASSERT_TRUE(server);
  auto c = Client(server->port);
  const EmbeddingData& d = *v1_;
  for (int64_t id : {int64_t{0}, int64_t{1}, int64_t{1234}, kNodes - 1}) {
    Answer a = Get(*c, "/v1/embeddings/" + std::to_string(id));
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.json["version"], d.version);
    ExpectRow(a.json, d, id);
    // The same row by its original ID.
    const int64_t original = d.node_map[static_cast<size_t>(id)];
    a = Get(*c, "/v1/embeddings/" + std::to_string(original) + "?by=original");
    ASSERT_EQ(a.status, 200) << a.body;
    ExpectRow(a.json, d, id);
  }

  const std::vector<int64_t> ids = {5, 0, 5, kNodes - 1, 777};
  Answer a = Post(*c, "/v1/embeddings:batchGet", Json{{"ids", ids}}.dump());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json["version"], d.version);
  EXPECT_EQ(a.json["dim"], kDim);
  ASSERT_EQ(a.json["embeddings"].size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) ExpectRow(a.json["embeddings"][i], d, ids[i]);

  std::vector<int64_t> originals;
  for (int64_t id : ids) originals.push_back(d.node_map[static_cast<size_t>(id)]);
  a = Post(*c, "/v1/embeddings:batchGet", Json{{"original_ids", originals}}.dump());
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.json["embeddings"].size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) ExpectRow(a.json["embeddings"][i], d, ids[i]);

  a = Post(*c, "/v1/embeddings:batchGet", R"({"ids": []})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json["embeddings"].empty());

  a = Get(*c, "/healthz");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json["status"], "ok");
  EXPECT_EQ(a.json["version"], d.version);
  EXPECT_EQ(a.json["num_nodes"], kNodes);
  EXPECT_EQ(a.json["dim"], kDim);
  EXPECT_EQ(a.json["index"], "flat");  // 3000 rows: below the auto threshold
}

TEST_F(ServeIntegration, SimilarEqualsNaiveReference) {
  auto server = StartServer(tmp_->File("v1"));
  ASSERT_TRUE(server);
  auto c = Client(server->port);
  const EmbeddingData& d = *v1_;
  for (int64_t id : {int64_t{0}, int64_t{100}, int64_t{2500}}) {
    Answer a = Get(*c, "/v1/similar/" + std::to_string(id) + "?k=10");
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.json["version"], d.version);
    EXPECT_EQ(a.json["id"], id);
    EXPECT_EQ(a.json["metric"], "cosine");
    EXPECT_EQ(a.json["index"], "flat");
    std::vector<int64_t> got;
    for (const Json& n : a.json["neighbors"]) {
      got.push_back(n["id"].get<int64_t>());
      EXPECT_EQ(n["original_id"], d.node_map[static_cast<size_t>(got.back())]);
      EXPECT_NEAR(n["score"].get<double>(),
                  NaiveScore(d.row(id), d.row(got.back()), d.dim, serving::Metric::kCosine), 1e-5);
    }
    ExpectSameTopK(d, id, got, NaiveTopK(d, id, 10, serving::Metric::kCosine),
                   serving::Metric::kCosine);
  }
  // By original ID, and the default k (10).
  const int64_t original = d.node_map[42];
  Answer a = Get(*c, "/v1/similar/" + std::to_string(original) + "?by=original");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json["id"], 42);
  EXPECT_EQ(a.json["k"], 10);
  std::vector<int64_t> got;
  for (const Json& n : a.json["neighbors"]) got.push_back(n["id"].get<int64_t>());
  ExpectSameTopK(d, 42, got, NaiveTopK(d, 42, 10, serving::Metric::kCosine),
                 serving::Metric::kCosine);
}

TEST_F(ServeIntegration, SimilarWithIvfAndL2) {
  // Forced IVF probing every cell is exact; L2 scores are squared distances, lowest first.
  auto server =
      StartServer(tmp_->File("v1"), {"--index=ivf", "--metric=l2", "--nlist=16", "--nprobe=16"});
  ASSERT_TRUE(server);
  auto c = Client(server->port);
  const EmbeddingData& d = *v1_;
  Answer a = Get(*c, "/v1/similar/9?k=7");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json["index"], "ivf");
  EXPECT_EQ(a.json["metric"], "l2");
  std::vector<int64_t> got;
  for (const Json& n : a.json["neighbors"]) {
    got.push_back(n["id"].get<int64_t>());
    EXPECT_NEAR(n["score"].get<double>(),
                -NaiveScore(d.row(9), d.row(got.back()), d.dim, serving::Metric::kL2), 1e-3);
  }
  ExpectSameTopK(d, 9, got, NaiveTopK(d, 9, 7, serving::Metric::kL2), serving::Metric::kL2);
}

TEST_F(ServeIntegration, BearerToken) {
  WriteTextFile(tmp_->File("token"), "s3cret\n");
  for (const std::string& flag :
       {std::string("--token=s3cret"), "--token_file=" + tmp_->File("token")}) {
    SCOPED_TRACE(flag);
    auto server = StartServer(tmp_->File("v1"), {flag});
    ASSERT_TRUE(server);
    auto c = Client(server->port);
    const httplib::Headers good = {{"Authorization", "Bearer s3cret"}};
    const httplib::Headers wrong = {{"Authorization", "Bearer s3cre"}};
    const httplib::Headers basic = {{"Authorization", "Basic czNjcmV0"}};
    for (const httplib::Headers& h : {httplib::Headers{}, wrong, basic}) {
      Answer a = Get(*c, "/v1/embeddings/1", h);
      EXPECT_EQ(a.status, 401) << a.body;
      EXPECT_TRUE(a.json["error"].is_string()) << a.body;
      EXPECT_EQ(a.headers.count("WWW-Authenticate"), 1u);
      EXPECT_EQ(Get(*c, "/v1/similar/1", h).status, 401);
      EXPECT_EQ(Get(*c, "/metrics", h).status, 401);
      EXPECT_EQ(Post(*c, "/v1/embeddings:batchGet", R"({"ids":[1]})", h).status, 401);
      EXPECT_EQ(Post(*c, "/v1/admin:reload", "", h).status, 401);
    }
    Answer a = Get(*c, "/v1/embeddings/1", good);
    ASSERT_EQ(a.status, 200) << a.body;
    ExpectRow(a.json, *v1_, 1);
    EXPECT_EQ(Post(*c, "/v1/embeddings:batchGet", R"({"ids":[1]})", good).status, 200);
    EXPECT_EQ(Get(*c, "/v1/similar/1", good).status, 200);
    EXPECT_EQ(Get(*c, "/metrics", good).status, 200);
    EXPECT_EQ(Get(*c, "/healthz").status, 200);  // liveness stays open
  }
}

// Sends raw bytes to the server and returns what it answers (up to the connection's close).
std::string RawExchange(int port, const std::string& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    shutdown(fd, SHUT_WR);
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

TEST_F(ServeIntegration, BadInputGets4xxJsonAndTheServerKeepsServing) {
  auto server = StartServer(tmp_->File("v1"), {"--max_batch=8", "--max_k=50"});
  ASSERT_TRUE(server);
  auto c = Client(server->port);
  struct Case {
    const char* method;
    std::string path, body;
    int status;
    const char* says;  // part of the error message
  };
  const std::vector<Case> cases = {
      {"GET", "/v1/embeddings/abc", "", 400, "not an integer"},
      {"GET", "/v1/embeddings/12x", "", 400, "not an integer"},
      {"GET", "/v1/embeddings/1.5", "", 400, "not an integer"},
      {"GET", "/v1/embeddings/99999999999999999999", "", 400, "not an integer"},
      {"GET", "/v1/embeddings/%FF%FE", "", 400, "not an integer"},  // not UTF-8 either
      {"GET", "/v1/embeddings/3000", "", 404, "unknown global ID 3000"},
      {"GET", "/v1/embeddings/-1", "", 404, "unknown global ID -1"},
      {"GET", "/v1/embeddings/5?by=original", "", 404, "unknown original ID 5"},
      {"GET", "/v1/embeddings/5?by=name", "", 400, "by must be"},
      {"POST", "/v1/embeddings:batchGet", "{\"ids\": [1, 2", 400, "not valid JSON"},
      {"POST", "/v1/embeddings:batchGet", "", 400, "not valid JSON"},
      {"POST", "/v1/embeddings:batchGet", "{\"ids\": [\"\xff\"]}", 400, "not valid JSON"},
      {"POST", "/v1/embeddings:batchGet", "[1, 2]", 400, "JSON object"},
      {"POST", "/v1/embeddings:batchGet", R"({"ids": [1], "original_ids": [1]})", 400, "either"},
      {"POST", "/v1/embeddings:batchGet", R"({"id": [1]})", 400, "either"},
      {"POST", "/v1/embeddings:batchGet", R"({"ids": 1})", 400, "must be an array"},
      {"POST", "/v1/embeddings:batchGet", R"({"ids": [1, "2"]})", 400, "ids[1] is not"},
      {"POST", "/v1/embeddings:batchGet", R"({"ids": [1.5]})", 400, "ids[0] is not"},
      {"POST", "/v1/embeddings:batchGet", R"({"ids": [18446744073709551615]})", 400,
       "ids[0] is not"},
      {"POST", "/v1/embeddings:batchGet", R"({"ids": [0, 1, 3000]})", 404,
       "unknown global ID 3000 (ids[2]"},
      {"POST", "/v1/embeddings:batchGet", R"({"original_ids": [1000, 3]})", 404,
       "unknown original ID 3 (original_ids[1])"},
      {"POST", "/v1/embeddings:batchGet", R"({"ids": [0,1,2,3,4,5,6,7,8]})", 413,
       "batch of 9 IDs exceeds the limit of 8"},
      {"POST", "/v1/embeddings:batchGet", std::string(400000, ' '), 413, "too large"},
      {"GET", "/v1/similar/xyz", "", 400, "not an integer"},
      {"GET", "/v1/similar/3000", "", 404, "unknown global ID"},
      {"GET", "/v1/similar/1?k=0", "", 400, "k must be an integer in [1, 50]"},
      {"GET", "/v1/similar/1?k=51", "", 400, "k must be"},
      {"GET", "/v1/similar/1?k=-3", "", 400, "k must be"},
      {"GET", "/v1/similar/1?k=ten", "", 400, "k must be"},
      {"GET", "/v1/nothing", "", 404, "no such endpoint"},
      {"GET", "/v1/nothing%C3%28", "", 404, "no such endpoint"},
      {"POST", "/v1/embeddings/1", "", 404, "no such endpoint"},
      {"POST", "/v1/admin:reload", "{\"path\": ", 400, "not valid JSON"},
      {"POST", "/v1/admin:reload", R"({"path": 7})", 400, "path"},
      {"POST", "/v1/admin:reload", R"({"path": "/nonexistent/halo-emb"})", 404, "no such file"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(std::string(k.method) + " " + k.path + " " + k.body.substr(0, 60));
    Answer a = std::string(k.method) == "GET" ? Get(*c, k.path) : Post(*c, k.path, k.body);
    EXPECT_EQ(a.status, k.status) << a.body;
    ASSERT_TRUE(a.json.is_object()) << a.body;
    ASSERT_TRUE(a.json["error"].is_string()) << a.body;
    EXPECT_TRUE(Contains(a.json["error"].get<std::string>(), k.says)) << a.body;
    // Still serving, and still the same version.
    Answer h = Get(*c, "/healthz");
    ASSERT_EQ(h.status, 200);
    EXPECT_EQ(h.json["version"], v1_->version);
  }
  // Not HTTP at all: httplib hangs up (or answers 400); either way the server carries on.
  const std::string garbage = RawExchange(server->port, "GARBAGE\r\n\r\n");
  EXPECT_TRUE(garbage.empty() || garbage.rfind("HTTP/1.1 400", 0) == 0) << garbage;
  EXPECT_EQ(RawExchange(server->port, "").size(), 0u);
  Answer a = Get(*c, "/v1/embeddings/3");
  ASSERT_EQ(a.status, 200);
  ExpectRow(a.json, *v1_, 3);
  EXPECT_FALSE(server->process->Wait(0ms).has_value()) << "halo-serve exited";
}

TEST_F(ServeIntegration, ReloadUnderLoadDropsNothing) {
  // v1 and v3 live in a scratch directory of this test (v3 overwrites it for the SIGHUP reload).
  TempDir scratch;
  WriteStore(scratch.File("current"), *v1_);
  ASSERT_FALSE(HasFailure());
  auto server = StartServer(scratch.File("current"));
  ASSERT_TRUE(server);

  const EmbeddingData v3 = MakeData(kNodes, kDim, kClasses, 43);
  const std::map<std::string, const EmbeddingData*> versions = {
      {v1_->version, v1_}, {v2_->version, v2_}, {v3.version, &v3}};
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, int64_t> seen;  // answers per version
  int64_t answered = 0;
  std::vector<std::string> failures;
  std::atomic<bool> stop{false};

  auto hammer = [&](int seed) {
    auto c = Client(server->port);
    int64_t i = seed;
    while (!stop.load()) {
      i = (i * 7919 + 13) % kNodes;
      const bool similar = i % 3 == 0;
      Answer a = similar ? Get(*c, "/v1/similar/" + std::to_string(i) + "?k=5")
                         : Get(*c, "/v1/embeddings/" + std::to_string(i));
      std::string failure;
      std::string version;
      if (a.status != 200 || !a.json.is_object()) {
        failure = "HTTP " + std::to_string(a.status) + ": " + a.body;
      } else {
        version = a.json["version"].get<std::string>();
        auto v = versions.find(version);
        if (v == versions.end()) {
          failure = "unknown version " + version;
        } else if (!similar &&
                   a.json["embedding"].get<std::vector<float>>() != Row(*v->second, i)) {
          failure = "row " + std::to_string(i) + " differs from version " + version;
        } else if (similar && a.json["neighbors"].size() != 5) {
          failure = "similar answered " + a.body;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      if (!failure.empty()) failures.push_back(failure);
      ++seen[version];
      ++answered;
      cv.notify_all();
    }
  };
  // Waits until the hammers have answered `more` requests beyond now.
  auto wait_for_answers = [&](int64_t more) {
    std::unique_lock<std::mutex> lock(mu);
    const int64_t target = answered + more;
    return cv.wait_for(lock, 60s, [&] { return answered >= target; });
  };
  std::thread t1(hammer, 1), t2(hammer, 2);

  ASSERT_TRUE(wait_for_answers(100));
  auto c = Client(server->port);
  Answer a = Post(*c, "/v1/admin:reload", Json{{"path", tmp_->File("v2")}}.dump());
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json["version"], v2_->version);
  EXPECT_EQ(a.json["previous_version"], v1_->version);
  EXPECT_EQ(a.json["path"], tmp_->File("v2"));
  // Every request that starts after the reload answered sees v2.
  a = Get(*c, "/v1/embeddings/17");
  EXPECT_EQ(a.json["version"], v2_->version);
  EXPECT_EQ(a.json["embedding"].get<std::vector<float>>(), Row(*v2_, 17));
  EXPECT_TRUE(wait_for_answers(100));

  // A failed reload keeps the served version.
  a = Post(*c, "/v1/admin:reload", Json{{"path", scratch.File("missing")}}.dump());
  EXPECT_EQ(a.status, 404) << a.body;
  EXPECT_EQ(Get(*c, "/healthz").json["version"], v2_->version);

  // Back to the first directory, then rewrite it in place and reload it with SIGHUP.
  a = Post(*c, "/v1/admin:reload", Json{{"path", scratch.File("current")}}.dump());
  EXPECT_EQ(a.json["version"], v1_->version) << a.body;
  WriteStore(scratch.File("current"), v3, /*overwrite=*/true);
  server->process->Signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::string version;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      // Pace the polling by the hammers' progress rather than by sleeping.
      std::unique_lock<std::mutex> lock(mu);
      if (seen.count(v3.version) > 0) break;
    }
    wait_for_answers(20);
  }
  version = Get(*c, "/healthz").json["version"].get<std::string>();
  EXPECT_EQ(version, v3.version);
  EXPECT_TRUE(wait_for_answers(50));
  stop = true;
  t1.join();
  t2.join();

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed requests, first: " << failures[0];
  EXPECT_GT(seen[v1_->version], 0);
  EXPECT_GT(seen[v2_->version], 0);
  EXPECT_GT(seen[v3.version], 0);
  a = Get(*c, "/metrics");
  EXPECT_TRUE(Contains(a.body, "halo_serve_reloads_total{result=\"ok\"} 3")) << a.body;
  EXPECT_TRUE(Contains(a.body, "halo_serve_reloads_total{result=\"error\"} 1")) << a.body;
}

// The value of the series `name` (with its labels) in a Prometheus text page; -1 if absent.
double Series(const std::string& page, const std::string& name) {
  const size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + name.size() + 2));
}

TEST_F(ServeIntegration, MetricsCountRequests) {
  auto server = StartServer(tmp_->File("v1"));
  ASSERT_TRUE(server);
  auto c = Client(server->port);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Get(*c, "/v1/embeddings/" + std::to_string(i)).status, 200);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(Get(*c, "/v1/embeddings/x").status, 400);
  ASSERT_EQ(Get(*c, "/v1/similar/4?k=3").status, 200);
  ASSERT_EQ(Post(*c, "/v1/embeddings:batchGet", R"({"ids":[1,2]})").status, 200);
  ASSERT_EQ(Get(*c, "/nowhere").status, 404);
  Answer a = Get(*c, "/metrics");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.headers.find("Content-Type")->second, "text/plain; version=0.0.4");
  const std::string& m = a.body;
  EXPECT_EQ(Series(m, R"(halo_serve_requests_total{endpoint="embedding",code="200"})"), 3) << m;
  EXPECT_EQ(Series(m, R"(halo_serve_requests_total{endpoint="embedding",code="400"})"), 2);
  EXPECT_EQ(Series(m, R"(halo_serve_requests_total{endpoint="similar",code="200"})"), 1);
  EXPECT_EQ(Series(m, R"(halo_serve_requests_total{endpoint="batch_get",code="200"})"), 1);
  EXPECT_EQ(Series(m, R"(halo_serve_requests_total{endpoint="other",code="404"})"), 1);
  EXPECT_EQ(Series(m, R"(halo_serve_errors_total{endpoint="embedding",kind="client"})"), 2);
  EXPECT_EQ(Series(m, R"(halo_serve_errors_total{endpoint="embedding",kind="server"})"), 0);
  EXPECT_EQ(Series(m, R"(halo_serve_request_duration_seconds_count{endpoint="embedding"})"), 5);
  EXPECT_EQ(
      Series(m, R"(halo_serve_request_duration_seconds_bucket{endpoint="embedding",le="+Inf"})"),
      5);
  EXPECT_GT(Series(m, R"(halo_serve_request_duration_seconds_sum{endpoint="embedding"})"), 0);
  EXPECT_EQ(Series(m, "halo_serve_embeddings"), kNodes);
  EXPECT_EQ(Series(m, "halo_serve_embedding_dim"), kDim);
  EXPECT_EQ(Series(m, "halo_serve_version_info{version=\"" + v1_->version + "\"}"), 1);
  // The page counts itself only after it is rendered.
  a = Get(*c, "/metrics");
  EXPECT_EQ(Series(a.body, R"(halo_serve_requests_total{endpoint="metrics",code="200"})"), 1);
}

// The neighbors of a few nodes, as served.
std::vector<Json> SimilarAnswers(httplib::Client& c) {
  std::vector<Json> out;
  for (int64_t id : {int64_t{0}, int64_t{9}, int64_t{1234}, kNodes - 1}) {
    Answer a = Get(c, "/v1/similar/" + std::to_string(id) + "?k=10");
    EXPECT_EQ(a.status, 200) << a.body;
    out.push_back(a.json["neighbors"]);
  }
  return out;
}

TEST_F(ServeIntegration, IvfIndexCacheAcrossRestartsAndReloads) {
  namespace fs = std::filesystem;
  TempDir scratch;
  const std::string store = scratch.File("emb");
  WriteStore(store, *v1_);
  ASSERT_FALSE(HasFailure());
  const std::vector<std::string> ivf = {"--index=ivf", "--nlist=16", "--nprobe=4"};
  const std::string index_file = store + "/index/ivf-cosine-16.faiss";
  std::vector<Json> served;
  {
    auto server = StartServer(store, ivf);
    ASSERT_TRUE(server);
    auto c = Client(server->port);
    Answer h = Get(*c, "/healthz");
    EXPECT_EQ(h.json["index"], "ivf");
    EXPECT_EQ(h.json["index_source"], "built");
    EXPECT_TRUE(fs::exists(index_file));
    EXPECT_TRUE(fs::exists(store + "/index/ivf-cosine-16.json"));
    served = SimilarAnswers(*c);
    // Reloading the same store reads the index back.
    Answer r = Post(*c, "/v1/admin:reload", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["index_source"], "cache");
    EXPECT_EQ(SimilarAnswers(*c), served);
  }
  {
    // So does a restart, with the same answers.
    auto server = StartServer(store, ivf);
    ASSERT_TRUE(server);
    auto c = Client(server->port);
    EXPECT_EQ(Get(*c, "/healthz").json["index_source"], "cache");
    EXPECT_EQ(SimilarAnswers(*c), served);
    // A corrupt cache file: the reload rebuilds (and rewrites it), the server keeps answering.
    {
      std::fstream f(index_file, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(fs::file_size(index_file) / 2));
      f.write("\xff\xff\xff\xff", 4);
    }
    Answer r = Post(*c, "/v1/admin:reload", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["index_source"], "built");
    EXPECT_EQ(SimilarAnswers(*c), served);
    r = Post(*c, "/v1/admin:reload", "{}");
    EXPECT_EQ(r.json["index_source"], "cache") << r.body;
  }
  {
    // Another metric is not served from the cosine index.
    auto server = StartServer(store, {"--index=ivf", "--nlist=16", "--metric=l2"});
    ASSERT_TRUE(server);
    auto c = Client(server->port);
    Answer h = Get(*c, "/healthz");
    EXPECT_EQ(h.json["metric"], "l2");
    EXPECT_EQ(h.json["index_source"], "built");
    EXPECT_TRUE(fs::exists(store + "/index/ivf-l2-16.faiss"));
  }
  {
    // One cache directory for two versions of the same shape: a reload to the other version
    // rebuilds instead of serving the stale index, and so does the way back.
    std::vector<std::string> shared = ivf;
    shared.push_back("--index_cache_dir=" + scratch.File("shared"));
    auto server = StartServer(tmp_->File("v1"), shared);
    ASSERT_TRUE(server);
    auto c = Client(server->port);
    EXPECT_EQ(Get(*c, "/healthz").json["index_source"], "built");
    EXPECT_TRUE(fs::exists(scratch.File("shared/ivf-cosine-16.faiss")));
    EXPECT_FALSE(fs::exists(tmp_->File("v1/index/ivf-cosine-16.faiss")));
    for (const std::string& dir : {tmp_->File("v2"), tmp_->File("v1")}) {
      Answer r = Post(*c, "/v1/admin:reload", Json{{"path", dir}}.dump());
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.json["index_source"], "built") << dir;
    }
    const EmbeddingData& d = *v1_;
    Answer a = Get(*c, "/v1/similar/9?k=5");
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.json["version"], d.version);
    EXPECT_EQ(a.json["neighbors"].size(), 5u);
    EXPECT_EQ(Post(*c, "/v1/admin:reload", "{}").json["index_source"], "cache");
  }
  {
    // --index_cache_dir=none writes nothing.
    const std::string plain = scratch.File("plain");
    WriteStore(plain, *v1_);
    auto server = StartServer(plain, {"--index=ivf", "--nlist=16", "--index_cache_dir=none"});
    ASSERT_TRUE(server);
    auto c = Client(server->port);
    EXPECT_EQ(Get(*c, "/healthz").json["index_source"], "built");
    Answer r = Post(*c, "/v1/admin:reload", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["index_source"], "built");
    EXPECT_FALSE(fs::exists(plain + "/index"));
  }
}

TEST_F(ServeIntegration, StopsCleanlyOnSigtermAndSigint) {
  for (int signo : {SIGTERM, SIGINT}) {
    auto server = StartServer(tmp_->File("v1"));
    ASSERT_TRUE(server);
    auto c = Client(server->port);
    ASSERT_EQ(Get(*c, "/v1/embeddings/1").status, 200);  // with a keep-alive connection open
    server->process->Signal(signo);
    EXPECT_EQ(server->process->Wait(30s), std::optional<int>(0)) << "signal " << signo;
  }
}

TEST_F(ServeIntegration, CommandLineErrors) {
  const std::string bin = BinDir() + "/halo-serve";
  CommandResult r = RunCommand({bin}, 60);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "halo-serve: error: --embeddings is required")) << r.output;
  r = RunCommand({bin, "--embeddings=" + tmp_->File("nope"), "--port=0"}, 60);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "nope/manifest.json: no such file")) << r.output;
  r = RunCommand({bin, "--embeddings=" + tmp_->File("v1"), "--index=hnsw"}, 60);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "--index: unknown index type 'hnsw'")) << r.output;
  // The port of a running server is taken.
  auto server = StartServer(tmp_->File("v1"));
  ASSERT_TRUE(server);
  r = RunCommand(
      {bin, "--embeddings=" + tmp_->File("v1"), "--port=" + std::to_string(server->port)}, 60);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "cannot listen on 127.0.0.1:" + std::to_string(server->port)))
      << r.output;
}

}  // namespace
}  // namespace halo::testing
