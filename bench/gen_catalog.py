#!/usr/bin/env python3
"""Writes a beacon config with S services x I instances, the equivalent zone file for the
reference servers (Knot, NSD), and query files.

usage: gen_catalog.py DIR [services] [instances] [nx_percent] [udp_workers]
  DIR/beacon.toml       config: each instance has its own address 10.a.b.c, port 8000+i;
                        DNS and HTTP on free ports ([ports] dns = 0, http = 0)
  DIR/consul.zone       the same records as a zone: for each service svcN.service.consul
                        3 A and 3 SRV "1 1 port <hex>.addr.dc1.consul." plus the targets' A
                        records, SOA and NS (with glue) at the apex, TTL 0 like beacon's
  DIR/queries.txt       100k questions, 50% A / 50% SRV over random services,
                        nx_percent of them for names that do not exist
  DIR/queries-nx10.txt  the same with 10% names that do not exist
"""
import os
import random
import sys

d = sys.argv[1]
services = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
instances = int(sys.argv[3]) if len(sys.argv) > 3 else 3
nx = int(sys.argv[4]) if len(sys.argv) > 4 else 0
workers = int(sys.argv[5]) if len(sys.argv) > 5 else 1
os.makedirs(d, exist_ok=True)

with open(os.path.join(d, "beacon.toml"), "w") as f, open(os.path.join(d, "consul.zone"), "w") as z:
    f.write('node_name = "bench"\ndata_dir = "%s/data"\nlog_level = "info"\n' % d)
    f.write('[ports]\ndns = 0\nhttp = 0\n[dns_config]\nudp_workers = %d\n' % workers)
    z.write("$ORIGIN consul.\n$TTL 0\n")
    z.write("@ SOA ns.consul. hostmaster.consul. 1 3600 600 86400 0\n")
    z.write("@ NS bench.node.dc1.consul.\nbench.node.dc1 A 127.0.0.1\n")
    n = 0
    for s in range(services):
        for i in range(instances):
            n += 1
            addr = "10.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)
            f.write('[[services]]\nid = "svc%d-%d"\nname = "svc%d"\naddress = "%s"\nport = %d\n'
                    % (s, i, s, addr, 8000 + i))
            target = "0a%06x.addr.dc1" % (n & 0xFFFFFF)
            z.write("svc%d.service A %s\n" % (s, addr))
            z.write("svc%d.service SRV 1 1 %d %s\n" % (s, 8000 + i, target))
            z.write("%s A %s\n" % (target, addr))


def queries(path, nx_percent):
    rnd = random.Random(42)
    with open(path, "w") as f:
        for _ in range(100000):
            s = rnd.randrange(services)
            exists = rnd.randrange(100) >= nx_percent
            name = ("svc%d.service.consul" % s) if exists else ("nx%d.service.consul" % s)
            f.write("%s %s\n" % (name, "A" if rnd.randrange(2) else "SRV"))


queries(os.path.join(d, "queries.txt"), nx)
queries(os.path.join(d, "queries-nx10.txt"), 10)
