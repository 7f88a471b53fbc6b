#include "core/npy.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "core/file_reader.h"

namespace halo::core {

namespace {

constexpr char kMagic[] = "\x93NUMPY";

template <typename T>
constexpr DType DTypeOf() {
  if constexpr (std::is_same_v<T, float>) return DType::kFloat32;
  if constexpr (std::is_same_v<T, double>) return DType::kFloat64;
  if constexpr (std::is_same_v<T, int32_t>) return DType::kInt32;
  if constexpr (std::is_same_v<T, int64_t>) return DType::kInt64;
  if constexpr (std::is_same_v<T, uint8_t>) return DType::kUInt8;
}

const char* DescrOf(DType d) {
  switch (d) {
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat64:
      return "<f8";
    case DType::kInt32:
      return "<i4";
    case DType::kInt64:
      return "<i8";
    case DType::kUInt8:
      return "|u1";
    case DType::kBool:
      return "|b1";
  }
  return "?";
}

bool ParseDescr(const std::string& d, DType* out) {
  if (d == "<f4")
    *out = DType::kFloat32;
  else if (d == "<f8")
    *out = DType::kFloat64;
  else if (d == "<i4")
    *out = DType::kInt32;
  else if (d == "<i8")
    *out = DType::kInt64;
  else if (d == "|u1" || d == "<u1" || d == "|i1")
    *out = DType::kUInt8;
  else if (d == "|b1")
    *out = DType::kBool;
  else
    return false;
  return true;
}

// Finds the value text of `'key':` in a Python dict literal header.
bool HeaderValue(const std::string& header, const std::string& key, std::string* value) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return false;
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return false;
  size_t start = colon + 1;
  while (start < header.size() && header[start] == ' ') ++start;
  if (start >= header.size()) return false;
  size_t end;
  if (header[start] == '\'') {
    end = header.find('\'', start + 1);
    if (end == std::string::npos) return false;
    *value = header.substr(start + 1, end - start - 1);
  } else if (header[start] == '(') {
    end = header.find(')', start);
    if (end == std::string::npos) return false;
    *value = header.substr(start + 1, end - start - 1);
  } else {
    end = header.find_first_of(",}", start);
    if (end == std::string::npos) return false;
    *value = header.substr(start, end - start);
  }
  return true;
}

Status ParseShape(const std::string& path, const std::string& text, std::vector<int64_t>* shape) {
  shape->clear();
  std::vector<std::string_view> parts;
  SplitFields(text, ',', &parts);
  for (auto p : parts) {
    if (p.empty()) continue;  // "(5,)" has a trailing empty field
    int64_t v;
    if (!ParseInt64(p, &v) || v < 0) {
      return Status::Corruption(path + ": bad shape '(" + text + ")' in .npy header");
    }
    shape->push_back(v);
  }
  return Status::OK();
}

template <typename From, typename To>
Status ConvertInto(const std::string& path, const NpyArray& a, std::vector<To>* out) {
  const int64_t n = a.num_elements();
  out->resize(static_cast<size_t>(n));
  const char* src = a.bytes.data();
  for (int64_t i = 0; i < n; ++i) {
    From v;
    std::memcpy(&v, src + i * sizeof(From), sizeof(From));
    if constexpr (std::is_integral_v<To>) {
      // From is integral here (the caller never converts floats to integers); int64 holds it.
      const int64_t w = static_cast<int64_t>(v);
      if (w < static_cast<int64_t>(std::numeric_limits<To>::min()) ||
          w > static_cast<int64_t>(std::numeric_limits<To>::max())) {
        return Status::OutOfRange(path + ": element " + std::to_string(i) + " = " +
                                  std::to_string(w) + " does not fit " + DTypeName(DTypeOf<To>()));
      }
    }
    (*out)[static_cast<size_t>(i)] = static_cast<To>(v);
  }
  return Status::OK();
}

}  // namespace

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kUInt8:
      return "uint8";
    case DType::kBool:
      return "bool";
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kFloat64:
      return 8;
    case DType::kInt32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kUInt8:
      return 1;
    case DType::kBool:
      return 1;
  }
  return 0;
}

int64_t NpyArray::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t NpyArray::cols() const {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

namespace {

struct NpyHeader {
  DType dtype;
  std::vector<int64_t> shape;
  size_t data_bytes() const {
    size_t n = DTypeSize(dtype);
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    return n;
  }
};

// Reads the magic, version and header dict, leaving `in` at the first data byte.
Result<NpyHeader> ReadHeader(BinaryReader* in) {
  const std::string& path = in->path();
  unsigned char prefix[8];
  Status st = in->ReadExactly(prefix, 8, ".npy magic");
  if (!st.ok() || std::memcmp(prefix, kMagic, 6) != 0) {
    return Status::Corruption(path + ": not a .npy file (bad magic)");
  }
  const int major = prefix[6];
  size_t header_len = 0;
  if (major == 1) {
    unsigned char len[2];
    HALO_RETURN_IF_ERROR(in->ReadExactly(len, 2, ".npy header length"));
    header_len = len[0] | (len[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char len[4];
    HALO_RETURN_IF_ERROR(in->ReadExactly(len, 4, ".npy header length"));
    for (int i = 0; i < 4; ++i) header_len |= size_t{len[i]} << (8 * i);
  } else {
    return Status::Corruption(path + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1 << 20)) return Status::Corruption(path + ": implausible .npy header length");
  std::string header(header_len, '\0');
  HALO_RETURN_IF_ERROR(in->ReadExactly(header.data(), header_len, ".npy header"));
  std::string descr, fortran, shape_text;
  if (!HeaderValue(header, "descr", &descr) || !HeaderValue(header, "fortran_order", &fortran) ||
      !HeaderValue(header, "shape", &shape_text)) {
    return Status::Corruption(path + ": malformed .npy header: " + header);
  }
  NpyHeader h;
  if (!ParseDescr(descr, &h.dtype)) {
    return Status::InvalidArgument(path + ": unsupported dtype '" + descr +
                                   "' (supported: <f4 <f8 <i4 <i8 |u1 |b1)");
  }
  if (fortran.find("True") != std::string::npos) {
    return Status::InvalidArgument(path + ": Fortran-order arrays are not supported");
  }
  HALO_RETURN_IF_ERROR(ParseShape(path, shape_text, &h.shape));
  return h;
}

// Reads the data that follows the header into `dst` and checks nothing trails it.
Status ReadData(BinaryReader* in, const NpyHeader& h, void* dst) {
  Status st = in->ReadExactly(dst, h.data_bytes(), "array data");
  if (!st.ok() && st.code() == StatusCode::kCorruption) {
    return Status::Corruption(in->path() + ": data is shorter than its shape and dtype need (" +
                              std::to_string(h.data_bytes()) + " bytes)");
  }
  HALO_RETURN_IF_ERROR(st);
  if (!in->AtEnd()) {
    return Status::Corruption(in->path() + ": data is longer than its shape and dtype need (" +
                              std::to_string(h.data_bytes()) + " bytes)");
  }
  return Status::OK();
}

}  // namespace

Result<NpyArray> ReadNpy(const std::string& path) {
  HALO_ASSIGN_OR_RETURN(auto in, BinaryReader::Open(path));
  HALO_ASSIGN_OR_RETURN(NpyHeader h, ReadHeader(in.get()));
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.bytes.resize(h.data_bytes());
  HALO_RETURN_IF_ERROR(ReadData(in.get(), h, a.bytes.data()));
  return a;
}

template <typename T>
Result<std::vector<T>> ReadNpyAs(const std::string& path, std::vector<int64_t>* shape) {
  {
    // Fast path: the stored dtype is T itself (or bool for uint8): read straight into the result.
    HALO_ASSIGN_OR_RETURN(auto in, BinaryReader::Open(path));
    HALO_ASSIGN_OR_RETURN(NpyHeader h, ReadHeader(in.get()));
    const bool same =
        h.dtype == DTypeOf<T>() || (h.dtype == DType::kBool && DTypeOf<T>() == DType::kUInt8);
    if (same) {
      if (shape != nullptr) *shape = h.shape;
      std::vector<T> out(h.data_bytes() / sizeof(T));
      HALO_RETURN_IF_ERROR(ReadData(in.get(), h, out.data()));
      return out;
    }
  }
  HALO_ASSIGN_OR_RETURN(NpyArray a, ReadNpy(path));
  if (shape != nullptr) *shape = a.shape;
  std::vector<T> out;
  const bool is_float_source = a.dtype == DType::kFloat32 || a.dtype == DType::kFloat64;
  if (is_float_source && !std::is_floating_point_v<T>) {
    return Status::InvalidArgument(path + ": dtype " + DTypeName(a.dtype) + " cannot be read as " +
                                   DTypeName(DTypeOf<T>()) + " (expected an integer array)");
  }
  Status st;
  switch (a.dtype) {
    case DType::kFloat32:
      st = ConvertInto<float>(path, a, &out);
      break;
    case DType::kFloat64:
      st = ConvertInto<double>(path, a, &out);
      break;
    case DType::kInt32:
      st = ConvertInto<int32_t>(path, a, &out);
      break;
    case DType::kInt64:
      st = ConvertInto<int64_t>(path, a, &out);
      break;
    case DType::kUInt8:
    case DType::kBool:
      st = ConvertInto<uint8_t>(path, a, &out);
      break;
  }
  HALO_RETURN_IF_ERROR(st);
  return out;
}

namespace {
Status WriteRaw(const std::string& path, const char* descr, const void* data, size_t bytes,
                const std::vector<int64_t>& shape) {
  std::string shape_text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    shape_text += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) shape_text += ",";
    if (i + 1 < shape.size()) shape_text += " ";
  }
  shape_text += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // Pad so that magic(6)+version(2)+len(2)+header is a multiple of 64, ending in '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return Status::IOError(path + ": cannot create: " + std::strerror(errno));
  const uint16_t len = static_cast<uint16_t>(header.size());
  const unsigned char prefix[10] = {0x93,
                                    'N',
                                    'U',
                                    'M',
                                    'P',
                                    'Y',
                                    1,
                                    0,
                                    static_cast<unsigned char>(len & 0xff),
                                    static_cast<unsigned char>(len >> 8)};
  if (std::fwrite(prefix, 1, 10, f.get()) != 10 ||
      std::fwrite(header.data(), 1, header.size(), f.get()) != header.size() ||
      (bytes > 0 && std::fwrite(data, 1, bytes, f.get()) != bytes)) {
    return Status::IOError(path + ": write failed: " + std::strerror(errno));
  }
  if (std::fclose(f.release()) != 0) {
    return Status::IOError(path + ": close failed: " + std::strerror(errno));
  }
  return Status::OK();
}

size_t Product(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}
}  // namespace

template <typename T>
Status WriteNpy(const std::string& path, const T* data, const std::vector<int64_t>& shape) {
  return WriteRaw(path, DescrOf(DTypeOf<T>()), data, Product(shape) * sizeof(T), shape);
}

Status WriteNpyBool(const std::string& path, const std::vector<uint8_t>& data) {
  for (uint8_t v : data) {
    if (v > 1) return Status::InvalidArgument(path + ": bool array holds a value other than 0/1");
  }
  return WriteRaw(path, "|b1", data.data(), data.size(), {static_cast<int64_t>(data.size())});
}

template Result<std::vector<float>> ReadNpyAs<float>(const std::string&, std::vector<int64_t>*);
template Result<std::vector<double>> ReadNpyAs<double>(const std::string&, std::vector<int64_t>*);
template Result<std::vector<int32_t>> ReadNpyAs<int32_t>(const std::string&, std::vector<int64_t>*);
template Result<std::vector<int64_t>> ReadNpyAs<int64_t>(const std::string&, std::vector<int64_t>*);
template Result<std::vector<uint8_t>> ReadNpyAs<uint8_t>(const std::string&, std::vector<int64_t>*);
template Status WriteNpy<float>(const std::string&, const float*, const std::vector<int64_t>&);
template Status WriteNpy<double>(const std::string&, const double*, const std::vector<int64_t>&);
template Status WriteNpy<int32_t>(const std::string&, const int32_t*, const std::vector<int64_t>&);
template Status WriteNpy<int64_t>(const std::string&, const int64_t*, const std::vector<int64_t>&);
template Status WriteNpy<uint8_t>(const std::string&, const uint8_t*, const std::vector<int64_t>&);

}  // namespace halo::core
