#include "web/connection_slots.h"

#include <algorithm>

namespace tuidang::web {

ConnectionSlots::Opened ConnectionSlots::Open(const std::optional<safety::ClientKey>& client,
                                              std::weak_ptr<Evictable> conn) {
  Opened out;
  MutexLock lock(&mu_);
  if (client && options_.per_client > 0) {
    auto it = per_client_.find(client->hash);
    // This client's own slow connections are its problem: refused, nobody else evicted.
    if (it != per_client_.end() && it->second >= options_.per_client) return out;
  }
  EvictOverShare(1, &out.evict);
  if (entries_.size() >= options_.max_connections) {
    if (waiting_.empty()) return out;  // every slot is working on a request: 503
    Remove(entries_.find(waiting_.front()), &out.evict);
  }
  Id id = next_id_++;
  Entry& e = entries_[id];
  e.conn = std::move(conn);
  if (client && options_.per_client > 0) {
    e.client = client->hash;
    ++per_client_[client->hash];
  }
  e.waiting = true;
  e.in_queue = waiting_.insert(waiting_.end(), id);
  out.id = id;
  return out;
}

std::vector<std::shared_ptr<Evictable>> ConnectionSlots::Waiting(Id id) {
  std::vector<std::shared_ptr<Evictable>> out;
  MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return out;
  Entry& e = it->second;
  if (e.waiting) waiting_.erase(e.in_queue);
  e.waiting = true;
  e.in_queue = waiting_.insert(waiting_.end(), id);
  EvictOverShare(0, &out);
  return out;
}

bool ConnectionSlots::Busy(Id id) {
  MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  Entry& e = it->second;
  if (e.waiting) waiting_.erase(e.in_queue);
  e.waiting = false;
  return true;
}

void ConnectionSlots::Close(Id id) {
  MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it != entries_.end()) Remove(it, nullptr);
}

size_t ConnectionSlots::open() {
  MutexLock lock(&mu_);
  return entries_.size();
}

size_t ConnectionSlots::waiting() {
  MutexLock lock(&mu_);
  return waiting_.size();
}

void ConnectionSlots::EvictOverShare(size_t extra, std::vector<std::shared_ptr<Evictable>>* out) {
  size_t share =
      options_.max_connections > options_.reserve ? options_.max_connections - options_.reserve : 1;
  while (!waiting_.empty() && waiting_.size() + extra > share) {
    Remove(entries_.find(waiting_.front()), out);
  }
}

void ConnectionSlots::Remove(std::unordered_map<Id, Entry>::iterator it,
                             std::vector<std::shared_ptr<Evictable>>* evicted) {
  Entry& e = it->second;
  if (e.waiting) waiting_.erase(e.in_queue);
  if (e.client) {
    auto c = per_client_.find(*e.client);
    if (c != per_client_.end() && --c->second == 0) per_client_.erase(c);
  }
  if (evicted) {
    if (auto conn = e.conn.lock()) evicted->push_back(std::move(conn));
  }
  entries_.erase(it);
}

}  // namespace tuidang::web
