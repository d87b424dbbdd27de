// Catch2 shorthands for tests that run an EtcdCluster (tests/support/etcd_cluster.h).
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "tests/support/etcd_cluster.h"

// Starts `cluster`, or fails the test saying why (etcd missing, or the members' logs).
#define REQUIRE_ETCD_STARTED(cluster)                                                                \
  do {                                                                                               \
    const std::string missing_ = ::beacon::test::missing_etcd();                                     \
    if (!missing_.empty()) FAIL(missing_);                                                           \
    if (!(cluster).start()) FAIL("etcd cluster did not start: " << (cluster).failure());              \
  } while (0)

// Fails the test, with the cluster's failure() (command lines, member logs), unless `call`
// returns true.
#define REQUIRE_ETCD_OK(cluster, call)                           \
  do {                                                           \
    if (!(call)) FAIL(#call " failed: " << (cluster).failure()); \
  } while (0)
