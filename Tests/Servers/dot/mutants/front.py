"""The mutant deployment's public port: TLS and plain http on the same address.

Every connection is relayed, bytes untouched, to one of two gunicorns: to the TLS one when the
client opens with a TLS handshake record (first byte 0x16), to the plain-http one otherwise. The
plain-http gunicorn serves only the issuer whose mutation is "the https port also answers plain
http" (mutants/wsgi.py plain_application) and refuses plain http for every other issuer.

    python -m mutants.front --name dotserver-mutants-front --pid FILE \
        --listen 127.0.0.1:8404 --listen 127.0.0.2:8404 --tls 127.0.0.1:8406 --plain 127.0.0.1:8407

--name only marks the command line, so that stop.sh recognises the process.
"""

import argparse
import asyncio
import os
import sys


TLS_HANDSHAKE = 0x16
FIRST_BYTE_TIMEOUT = 10  # seconds a client may stay silent after connecting
CHUNK = 65536


def _address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


async def _pipe(reader, writer):
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


def _close(*writers):
    for writer in writers:
        writer.close()


async def _relay(client_reader, client_writer, tls_backend, plain_backend):
    try:
        first = await asyncio.wait_for(client_reader.read(1), FIRST_BYTE_TIMEOUT)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        first = b""
    if not first:
        _close(client_writer)
        return
    backend = tls_backend if first[0] == TLS_HANDSHAKE else plain_backend
    try:
        backend_reader, backend_writer = await asyncio.open_connection(*backend)
    except OSError:
        _close(client_writer)
        return
    backend_writer.write(first)
    upstream = asyncio.create_task(_pipe(client_reader, backend_writer))
    # The exchange is over when the backend is done answering (gunicorn closes after each response).
    await _pipe(backend_reader, client_writer)
    upstream.cancel()
    _close(backend_writer, client_writer)


async def _serve(listen, tls_backend, plain_backend, pid_file):
    relays = set()  # asyncio keeps only weak references to running tasks

    async def handle(reader, writer):
        task = asyncio.current_task()
        relays.add(task)
        try:
            await _relay(reader, writer, tls_backend, plain_backend)
        finally:
            relays.discard(task)

    servers = [await asyncio.start_server(handle, host, port) for host, port in listen]
    with open(pid_file, "w") as file:
        file.write(f"{os.getpid()}\n")
    await asyncio.gather(*(server.serve_forever() for server in servers))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--pid", required=True, help="written once every address is bound")
    parser.add_argument("--listen", action="append", type=_address, required=True)
    parser.add_argument("--tls", type=_address, required=True, help="the TLS backend")
    parser.add_argument("--plain", type=_address, required=True, help="the plain-http backend")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.listen, args.tls, args.plain, args.pid))
    except OSError as error:
        print(f"{args.name}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
