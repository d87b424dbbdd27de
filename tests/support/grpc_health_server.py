#!/usr/bin/python3
"""A grpc.health.v1 server for beacon's gRPC check tests (tests/integration/grpc_check_test.cc).

Compiles tests/support/grpc_health.proto with grpc_tools.protoc into --stub-dir, then serves
Health/Check on 127.0.0.1: in clear text (h2c) on a kernel-chosen port and, with --tls-cert and
--tls-key, over TLS on a second one. When both are listening it writes "PLAIN TLS" (TLS is 0
without a certificate) to --port-file, atomically, so the test can wait for that file.

Every Check reads --status-file, one word: SERVING, NOT_SERVING or UNKNOWN. The services named
by --service (and "", the server as a whole) answer that status; any other service gets
grpc-status NOT_FOUND "unknown service", as the standard health servicer does. It runs until it
is killed (the test stops it by PID).

Debian packages: python3-grpcio, python3-grpc-tools.
"""
import argparse
import os
import sys
import time
from concurrent import futures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proto", required=True)
    parser.add_argument("--stub-dir", required=True)
    parser.add_argument("--status-file", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--service", action="append", default=[])
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()

    from grpc_tools import protoc
    proto_dir = os.path.dirname(os.path.abspath(args.proto))
    rc = protoc.main(["protoc", "-I" + proto_dir, "--python_out=" + args.stub_dir,
                      "--grpc_python_out=" + args.stub_dir, os.path.basename(args.proto)])
    if rc != 0:
        sys.exit("protoc failed: %d" % rc)
    sys.path.insert(0, args.stub_dir)
    import grpc
    import grpc_health_pb2 as pb
    import grpc_health_pb2_grpc as pb_grpc

    known = set(args.service) | {""}

    class Health(pb_grpc.HealthServicer):
        def Check(self, request, context):
            if request.service not in known:
                context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
            with open(args.status_file) as f:
                word = f.read().strip()
            status = pb.HealthCheckResponse.ServingStatus.Value(word)
            return pb.HealthCheckResponse(status=status)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_HealthServicer_to_server(Health(), server)
    plain = server.add_insecure_port("127.0.0.1:0")
    tls = 0
    if args.tls_cert:
        with open(args.tls_key, "rb") as k, open(args.tls_cert, "rb") as c:
            creds = grpc.ssl_server_credentials([(k.read(), c.read())])
        tls = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (plain, tls))
    os.rename(tmp, args.port_file)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
