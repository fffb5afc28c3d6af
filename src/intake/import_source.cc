// Source keys and the storing of a sheet (import_source.h).
#include "intake/import_source.h"

#include <fmt/format.h>
#include <sodium.h>

#include "core/text.h"

namespace tuidang::intake {

// A publication day as sheets write it: 2004-12-03, 2004/12/3, 2004.12.03 or 2004年12月3日.
std::optional<Day> ParseSheetDay(std::string_view cell) {
  const std::string_view v = TrimSpace(cell);
  int parts[3] = {0, 0, 0};
  int digits[3] = {0, 0, 0};
  int part = 0;
  for (size_t i = 0; i < v.size();) {
    if (v[i] >= '0' && v[i] <= '9') {
      if (part > 2 || ++digits[part] > 4) return std::nullopt;
      parts[part] = parts[part] * 10 + (v[i++] - '0');
      continue;
    }
    size_t n = v[i] == '-' || v[i] == '/' || v[i] == '.' ? 1 : 0;
    for (std::string_view sep : {"年", "月", "日"}) {
      if (v.substr(i).starts_with(sep)) n = sep.size();
    }
    if (n == 0 || part > 2 || digits[part] == 0) return std::nullopt;
    ++part;
    i += n;
  }
  if (part < 3 && digits[part] > 0) ++part;  // the last number had no separator after it
  if (part != 3 || digits[0] != 4 || digits[1] > 2 || digits[2] > 2) return std::nullopt;
  return ParseDay(fmt::format("{:04}-{:02}-{:02}", parts[0], parts[1], parts[2]));
}

std::string ContentHash(const Statement& st) {
  std::string c = "tuidang-import-v1";
  for (const Person& p : st.persons) {
    c += '\x1e';
    c += p.name;
    c += '\x1f';
    c += p.real_name ? '1' : '0';
    c += static_cast<char>('0' + p.organisations);
  }
  c += fmt::format("\x1d{}\x1d{}\x1d", st.region, st.occupation);
  c += st.text;
  c += '\x1d';
  c += st.consent;
  c += '\x1d';
  c += st.place;
  if (st.day != 0) c += fmt::format("\x1d{}", st.day);  // historic records only
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<uint8_t*>(out.data()), out.size(),
                     reinterpret_cast<const uint8_t*>(c.data()), c.size(), nullptr, 0);
  return out;
}

std::optional<int64_t> SourceKeys::Assign(const std::string& content_hash, std::string_view row_id,
                                          int64_t line, Submission* sub) {
  // Each part is preceded by its length, so that no source name or id can end in what
  // would look like the next part.
  auto part = [](std::string* key, std::string_view bytes) {
    const uint64_t n = bytes.size();
    key->append(reinterpret_cast<const char*>(&n), sizeof n);
    key->append(bytes);
  };
  std::string key = "tuidang-import-v2";
  part(&key, source_);
  const std::string_view id = TrimSpace(row_id);
  if (!id.empty()) {
    auto [it, fresh] = ids_.emplace(std::string(id), line);
    if (!fresh) return it->second;
    part(&key, "id");
    part(&key, id);
    sub->source_row = fmt::format("{}, id {} (line {})", source_, id, line);
  } else {
    // Identical rows of one file are distinct persons (two 王伟 of one family): the n-th
    // occurrence of a content has its own key, so a second import finds every one stored.
    const int64_t n = occurrences_[content_hash]++;
    part(&key, "content");
    part(&key, content_hash);
    part(&key, std::string_view(reinterpret_cast<const char*>(&n), sizeof n));
    sub->source_row = fmt::format("{}, line {}", source_, line);
  }
  sub->source_key.assign(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<uint8_t*>(sub->source_key.data()), sub->source_key.size(),
                     reinterpret_cast<const uint8_t*>(key.data()), key.size(), nullptr, 0);
  return std::nullopt;
}

Status StoreSheet(std::vector<Submission> batch, const std::vector<int64_t>& batch_lines,
                  const ImportOptions& options, Intake* intake, ImportReport* report) {
  // One group, one transaction, through the one writer; the operator's audit entry is
  // written in that transaction, so a sheet is stored only with its entry.
  auto count = [report, &batch_lines](std::span<const Submission> group,
                                      std::span<const Committed> committed) {
    for (size_t i = 0; i < committed.size(); ++i) {
      const Committed& c = committed[i];
      if (c.duplicate) {
        ++report->duplicates;
        report->duplicate_lines.push_back(batch_lines[i]);
        report->duplicate_of.push_back(c.duplicate_of);
        continue;
      }
      ++report->imported;
      report->imported_persons += PersonsCount(group[i].statement);
      if (c.number) {
        if (report->first_number == 0) report->first_number = *c.number;
        report->last_number = *c.number;
      }
    }
  };
  std::string name = options.file_name.empty() ? "upload" : options.file_name;
  AuditFor<BatchOutcome> audit = [operator_id = options.operator_id, name](const BatchOutcome& o) {
    int64_t imported = 0, duplicates = 0;
    for (const Committed& c : o.committed) ++(c.duplicate ? duplicates : imported);
    AuditEntry e;
    e.operator_id = operator_id;
    e.action = "imported";
    e.object = fmt::format("{}: {} statements", name, imported);
    if (duplicates > 0) e.object += fmt::format(" ({} already imported)", duplicates);
    return std::vector<AuditEntry>{e};
  };
  Status stored = AwaitWrite<Status>(
      [&](Sequencer::Then<Status> then) {
        return intake->SubmitGroup(
            std::move(batch),
            [then, &count](const Status& s, std::span<const Submission> group,
                           std::span<const Committed> committed) {
              if (s) count(group, committed);
              then(s);
            },
            std::move(audit));
      },
      Status::Fail("the intake queue is full or stopping"));
  return stored;
}

}  // namespace tuidang::intake
