#include "web/connection_slots.h"

#include <gtest/gtest.h>

namespace tuidang::web {
namespace {

struct FakeConnection : Evictable {
  int evicted = 0;
  void Evict() override { ++evicted; }
};

safety::ClientKey Key(uint8_t b) {
  safety::ClientKey k;
  k.hash.fill(b);
  return k;
}

void EvictAll(const std::vector<std::shared_ptr<Evictable>>& v) {
  for (const auto& c : v) c->Evict();
}

TEST(ConnectionSlots, SlowConnectionsGiveWayOldestFirstAndBusyOnesStay) {
  ConnectionSlots slots({10, 0, 2});  // waiting connections: 8 at most
  std::vector<std::shared_ptr<FakeConnection>> conns;
  std::vector<ConnectionSlots::Id> ids;
  for (int i = 0; i < 8; ++i) {
    conns.push_back(std::make_shared<FakeConnection>());
    auto o = slots.Open(std::nullopt, conns.back());
    ASSERT_NE(o.id, 0u);
    EXPECT_TRUE(o.evict.empty());
    ids.push_back(o.id);
  }
  // A ninth slow connection: the oldest gives way.
  auto newcomer = std::make_shared<FakeConnection>();
  auto o = slots.Open(std::nullopt, newcomer);
  ASSERT_NE(o.id, 0u);
  EvictAll(o.evict);
  EXPECT_EQ(conns[0]->evicted, 1);
  EXPECT_EQ(slots.waiting(), 8u);
  EXPECT_FALSE(slots.Busy(ids[0])) << "an evicted connection is told so";
  slots.Close(ids[0]);  // idempotent
  // Connections whose request arrived are never evicted; the reserve is theirs.
  EXPECT_TRUE(slots.Busy(ids[1]));
  EXPECT_TRUE(slots.Busy(ids[2]));
  for (int i = 0; i < 20; ++i) {
    auto c = std::make_shared<FakeConnection>();
    auto r = slots.Open(std::nullopt, c);
    ASSERT_NE(r.id, 0u);
    EvictAll(r.evict);
    conns.push_back(c);
  }
  EXPECT_EQ(conns[1]->evicted, 0);
  EXPECT_EQ(conns[2]->evicted, 0);
  EXPECT_EQ(slots.open(), 10u);
  EXPECT_EQ(slots.waiting(), 8u);
  // Waiting again (writing the answer) puts it at the back of the queue.
  EXPECT_TRUE(slots.Waiting(ids[1]).size() == 1);
  EXPECT_EQ(slots.waiting(), 8u);
  slots.Close(ids[1]);
  slots.Close(ids[2]);
  EXPECT_EQ(slots.open(), 7u);
}

TEST(ConnectionSlots, FullOfBusyConnectionsRefuses) {
  ConnectionSlots slots({3, 0, 1});
  std::vector<std::shared_ptr<FakeConnection>> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(std::make_shared<FakeConnection>());
    auto o = slots.Open(std::nullopt, conns.back());
    ASSERT_NE(o.id, 0u);
    EvictAll(o.evict);
    ASSERT_TRUE(slots.Busy(o.id));
  }
  auto c = std::make_shared<FakeConnection>();
  EXPECT_EQ(slots.Open(std::nullopt, c).id, 0u) << "nothing to evict: 503";
  for (const auto& x : conns) EXPECT_EQ(x->evicted, 0);
}

TEST(ConnectionSlots, PerClientCapRefusesThatClientOnly) {
  ConnectionSlots slots({100, 2, 10});
  auto a1 = std::make_shared<FakeConnection>(), a2 = std::make_shared<FakeConnection>(),
       a3 = std::make_shared<FakeConnection>(), b1 = std::make_shared<FakeConnection>();
  auto o1 = slots.Open(Key(1), a1);
  auto o2 = slots.Open(Key(1), a2);
  ASSERT_NE(o1.id, 0u);
  ASSERT_NE(o2.id, 0u);
  auto o3 = slots.Open(Key(1), a3);
  EXPECT_EQ(o3.id, 0u);
  EXPECT_TRUE(o3.evict.empty()) << "a capped client evicts nobody";
  EXPECT_NE(slots.Open(Key(2), b1).id, 0u);
  // Unidentified connections are not capped.
  std::vector<std::shared_ptr<FakeConnection>> anon;
  for (int i = 0; i < 5; ++i) {
    anon.push_back(std::make_shared<FakeConnection>());
    EXPECT_NE(slots.Open(std::nullopt, anon.back()).id, 0u);
  }
  slots.Close(o1.id);
  EXPECT_NE(slots.Open(Key(1), a3).id, 0u) << "a closed connection frees the client's slot";
}

TEST(ConnectionSlots, EvictedConnectionFreesItsClientsSlot) {
  ConnectionSlots slots({4, 2, 1});  // 3 waiting at most
  auto a = std::make_shared<FakeConnection>();
  auto oa = slots.Open(Key(1), a);
  std::vector<std::shared_ptr<FakeConnection>> others;
  for (int i = 0; i < 3; ++i) {
    others.push_back(std::make_shared<FakeConnection>());
    EvictAll(slots.Open(std::nullopt, others.back()).evict);
  }
  EXPECT_EQ(a->evicted, 1);
  EXPECT_FALSE(slots.Busy(oa.id));
  auto b = std::make_shared<FakeConnection>(), c = std::make_shared<FakeConnection>();
  EXPECT_NE(slots.Open(Key(1), b).id, 0u);
  EXPECT_NE(slots.Open(Key(1), c).id, 0u);
}

}  // namespace
}  // namespace tuidang::web
