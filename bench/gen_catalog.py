#!/usr/bin/env python3
"""Writes a beacon config with S services x I instances and a query file.

usage: gen_catalog.py DIR [services] [instances] [nx_percent]
  DIR/beacon.toml   config (each instance has its own address 10.a.b.c, port 8000+i)
  DIR/queries.txt   100k questions, 50% A / 50% SRV over random services,
                    nx_percent of them for names that do not exist
"""
import os
import random
import sys

d = sys.argv[1]
services = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
instances = int(sys.argv[3]) if len(sys.argv) > 3 else 3
nx = int(sys.argv[4]) if len(sys.argv) > 4 else 0
os.makedirs(d, exist_ok=True)
rnd = random.Random(42)
with open(os.path.join(d, "beacon.toml"), "w") as f:
    f.write('node_name = "bench"\ndata_dir = "%s/data"\nlog_level = "info"\n' % d)
    f.write('[ports]\ndns = 0\n[dns_config]\nudp_workers = 1\n')
    n = 0
    for s in range(services):
        for i in range(instances):
            n += 1
            f.write('[[services]]\nid = "svc%d-%d"\nname = "svc%d"\naddress = "10.%d.%d.%d"\nport = %d\n'
                    % (s, i, s, (n >> 16) & 255, (n >> 8) & 255, n & 255, 8000 + i))
with open(os.path.join(d, "queries.txt"), "w") as f:
    for _ in range(100000):
        s = rnd.randrange(services)
        name = ("nx%d.service.consul" % s) if rnd.randrange(100) < nx else ("svc%d.service.consul" % s)
        f.write("%s %s\n" % (name, "A" if rnd.randrange(2) else "SRV"))
