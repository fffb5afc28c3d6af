// The log's side of C2SP tlog-witness (https://c2sp.org/tlog-witness): one add-checkpoint
// exchange with one witness, and the HTTP client it goes through. log/cosigning.h runs the
// exchanges, one thread per witness, off the integrator's path.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "tlog/hash.h"
#include "tlog/policy.h"

namespace tuidang {

// An HTTP answer: status, the media type of its Content-Type (lowercase, no parameters) and
// the body.
struct HttpReply {
  long status = 0;
  std::string content_type;
  std::string body;
};

// POSTs a body. Fails on a connection error, a time-out or an answer too large: the cases
// a client retries later. Not thread-safe: one per thread.
class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  virtual Result<HttpReply> Post(const std::string& url, const std::string& body) = 0;
  // The same with the body's Content-Type given (a mirror's add-entries takes
  // application/octet-stream; Post sends text/plain). Test fakes may ignore the type.
  virtual Result<HttpReply> PostAs(const std::string& url, const std::string& content_type,
                                   const std::string& body) {
    return Post(url, body);
  }
};

// libcurl, with one handle kept so that its connection is reused (the spec asks clients for
// keep-alive). No redirects; http and https only; proxies from the environment as curl has
// them. `timeout` bounds one whole request.
Result<std::unique_ptr<HttpPoster>> MakeCurlPoster(std::chrono::milliseconds timeout);

// Where the consistency proofs come from (the log's own tiles in the server).
class ConsistencySource {
 public:
  virtual ~ConsistencySource() = default;
  // The proof from the tree of `old_size` (> 0) to that of `new_size`.
  virtual Result<std::vector<tlog::Hash>> Consistency(uint64_t old_size, uint64_t new_size) = 0;
};

// The checkpoint offered to a witness.
struct OfferedCheckpoint {
  uint64_t size = 0;
  std::string signed_note;  // the log's signed checkpoint, no cosignature
};

struct WitnessOutcome {
  enum Kind {
    kCosigned,  // `cosignature` is the witness's verified line for the checkpoint
    kConflict,  // refused for good: a fork, a rollback, a misconfiguration (never retried
                // for this checkpoint; `message` says why, with the status code)
    kRetry,     // 429, 5xx, a time-out, a connection error: back off and try again
  };
  Kind kind = kRetry;
  long status = 0;                       // the last HTTP status, 0 when none came
  std::optional<uint64_t> witness_size;  // the size the witness holds, when learned
  std::string cosignature;               // one signature line, with its newline
  uint64_t timestamp = 0;                // of the cosignature
  std::string message;
  int requests = 0;  // add-checkpoint requests sent (2 when a 409 told the size first)
};

// One add-checkpoint to `witness` (its url is the submission prefix) for `checkpoint`, with
// the proof from `known_size` (nullopt: not known, sent as "old 0"). A 409 with
// text/x.tlog.size gives the witness's size and the request is sent once more from it; a
// 409 without that type, a 422, any other 4xx, a witness holding a larger tree than the
// checkpoint, or a 200 without a valid cosignature by the witness's key is a conflict; 429,
// 5xx and transport errors are kRetry. Lines by other keys in a 200 are ignored.
WitnessOutcome AskWitness(HttpPoster& http, const tlog::PolicyWitness& witness,
                          ConsistencySource& proofs, const OfferedCheckpoint& checkpoint,
                          std::optional<uint64_t> known_size);

// The body of an add-checkpoint request.
std::string AddCheckpointBody(uint64_t old_size, const std::vector<tlog::Hash>& proof,
                              const std::string& signed_note);

}  // namespace tuidang
