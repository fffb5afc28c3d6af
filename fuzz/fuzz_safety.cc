// The safety parsers (src/safety): addresses and networks (trusted_proxies), forwarded
// headers, proof-of-work challenges, office key texts.
#include <sodium.h>

#include <string_view>

#include "safety/client_key.h"
#include "safety/pow.h"
#include "safety/seal.h"

using namespace tuidang::safety;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = sodium_init() >= 0;
  static KeyedHasher hasher;
  static ClientIdentifier proxy(ClientKeyMode::kProxy, {*ParseNetwork("127.0.0.0/8")},
                                "X-Forwarded-For", &hasher);
  static PowIssuer pow(SystemClock());
  (void)init;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)ParseNetwork(in);
  (void)ParseAddress(in);
  (void)proxy.ForRequest(proxy.AtAccept(*ParseAddress("127.0.0.1")), in);
  auto colon = in.find(':');
  (void)pow.Redeem(in.substr(0, colon), colon == in.npos ? "" : in.substr(colon + 1));
  (void)ParseOfficePublicKey(in);
  (void)OfficeSecretKey::Parse(in);
  return 0;
}
