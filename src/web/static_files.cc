#include "web/static_files.h"

#include <vector>

#include "tlog/hash.h"
#include "web/guard_web.h"
#include "web/page.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {

constexpr unsigned char kFavicon[] = {
#include "web/favicon_data.inc"
};

// Unversioned names are revalidated often enough that a new build reaches their readers
// within minutes, yet a page and its style sheet are not fetched twice in a visit.
constexpr std::string_view kPlainCaching = "public, max-age=300";

StaticFile Make(std::string_view name, std::string_view content_type, std::string_view body) {
  std::string hash = tlog::HashToHex(tlog::Sha256(body)).substr(0, 8);
  size_t dot = name.rfind('.');
  std::string versioned =
      std::string(name.substr(0, dot)) + "." + hash + std::string(name.substr(dot));
  return StaticFile{std::string(name), std::move(versioned), content_type,
                    Precompressed(std::string(body), content_type)};
}

const std::vector<StaticFile>& Files() {
  static const std::vector<StaticFile> files = [] {
    std::vector<StaticFile> v;
    v.push_back(Make("site.css", "text/css; charset=utf-8", SiteCss()));
    v.push_back(Make("certificate.css", "text/css; charset=utf-8", CertificateCss()));
    v.push_back(Make("certificates.css", "text/css; charset=utf-8", DayCertificatesCss()));
    v.push_back(Make("pow.js", "text/javascript; charset=utf-8", PowScript()));
    v.push_back(Make("favicon.ico", "image/x-icon", FaviconIco()));
    return v;
  }();
  return files;
}

bool IsHex8(std::string_view s) {
  if (s.size() != 8) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::span<const StaticFile> StaticFiles() { return Files(); }

const StaticFile* FindStaticFile(std::string_view name, bool* current) {
  *current = false;
  for (const StaticFile& f : Files()) {
    if (name == f.versioned) {
      *current = true;
      return &f;
    }
    if (name == f.name) return &f;
    // "<stem>.<8 hex>.<ext>" of another build.
    size_t dot = f.name.rfind('.');
    std::string_view stem = std::string_view(f.name).substr(0, dot + 1);
    std::string_view ext = std::string_view(f.name).substr(dot);
    if (name.size() == f.name.size() + 9 && name.starts_with(stem) && name.ends_with(ext) &&
        IsHex8(name.substr(stem.size(), 8))) {
      return &f;
    }
  }
  return nullptr;
}

std::string StaticUrl(std::string_view name) {
  for (const StaticFile& f : Files()) {
    if (f.name == name) return "/static/" + f.versioned;
  }
  return "/static/" + std::string(name);
}

Response StaticFileResponse(const StaticFile& file, bool current, bool gzip) {
  return CachedBodyResponse(file.body, gzip, file.content_type,
                            current ? CacheControl(Caching::kImmutable) : kPlainCaching);
}

std::string_view FaviconIco() {
  return {reinterpret_cast<const char*>(kFavicon), sizeof(kFavicon)};
}

}  // namespace tuidang::web
