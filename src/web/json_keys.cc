#include "web/json_keys.h"

#include <set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

namespace tuidang::web {

namespace {

namespace json = boost::json;
using json::error_code;
using json::string_view;

// A SAX handler that remembers, for each open object, the keys it has seen, and for each
// open array the index of the value being read: enough to name the first duplicate.
class DuplicateFinder {
 public:
  static constexpr size_t max_object_size = size_t(-1);
  static constexpr size_t max_array_size = size_t(-1);
  static constexpr size_t max_key_size = size_t(-1);
  static constexpr size_t max_string_size = size_t(-1);

  const std::optional<std::string>& duplicate() const { return duplicate_; }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    frames_.push_back(Frame{true, {}, {}, 0});
    return true;
  }
  bool on_object_end(size_t, error_code&) { return EndContainer(); }
  bool on_array_begin(error_code&) {
    frames_.push_back(Frame{false, {}, {}, 0});
    return true;
  }
  bool on_array_end(size_t, error_code&) { return EndContainer(); }
  bool on_key_part(string_view s, size_t, error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, size_t, error_code&) {
    key_.append(s.data(), s.size());
    Frame& f = frames_.back();
    if (!f.keys.insert(key_).second && !duplicate_) duplicate_ = Path() + key_;
    f.key = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(string_view, size_t, error_code&) { return true; }
  bool on_string(string_view, size_t, error_code&) { return Value(); }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(int64_t, string_view, error_code&) { return Value(); }
  bool on_uint64(uint64_t, string_view, error_code&) { return Value(); }
  bool on_double(double, string_view, error_code&) { return Value(); }
  bool on_bool(bool, error_code&) { return Value(); }
  bool on_null(error_code&) { return Value(); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;  // an object's keys so far (ordered: no hash to flood)
    std::string key;             // an object's current key
    size_t index;                // an array's current value
  };

  // A value ended: the array holding it moves on to its next index.
  bool Value() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }
  bool EndContainer() {
    frames_.pop_back();
    return Value();
  }
  // The path of the innermost open object, ending with "." unless it is the document.
  std::string Path() const {
    std::string p;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.object) p += (p.empty() ? "" : ".") + f.key;
      else p += "[" + std::to_string(f.index) + "]";
    }
    return p.empty() ? p : p + ".";
  }

  std::vector<Frame> frames_;
  std::string key_;
  std::optional<std::string> duplicate_;
};

}  // namespace

std::optional<std::string> FirstDuplicateKey(std::string_view text, size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::basic_parser<DuplicateFinder> parser(options);
  error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  if (ec) return std::nullopt;
  return parser.handler().duplicate();
}

}  // namespace tuidang::web
