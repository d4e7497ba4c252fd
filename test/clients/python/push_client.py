"""A batch job that pushes with the Python client (prometheus_client), for the client and end-to-end tests.

Usage: push_client.py --url URL --job JOB --op push|add|delete [--value N] [--label name=value]... [--gzip]

It pushes py_client_items_total (a counter increased by N), py_client_last_success_seconds (a gauge
set to N) and py_client_duration_seconds (a histogram, buckets 1 and 5, observing N), with each
--label in the grouping key, through push_to_gateway (push), pushadd_to_gateway (add) or
delete_from_gateway (delete). Errors go to stderr with exit status 1.

--gzip: prometheus_client 0.16 has no compression option for pushes, so this passes a custom
handler (the client's documented hook for requests) that gzips the body and says so in a
Content-Encoding header.
"""
import argparse
import gzip
import sys
from urllib.error import HTTPError

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import (default_handler, delete_from_gateway,
                                          push_to_gateway, pushadd_to_gateway)


def gzip_handler(url, method, timeout, headers, data):
    return default_handler(url, method, timeout, headers + [('Content-Encoding', 'gzip')], gzip.compress(data))


def label(text):
    if '=' not in text:
        raise argparse.ArgumentTypeError(f'{text!r} is not name=value')
    return tuple(text.split('=', 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--url', required=True)
    parser.add_argument('--job', required=True)
    parser.add_argument('--op', choices=['push', 'add', 'delete'], default='push')
    parser.add_argument('--value', type=float, default=1)
    parser.add_argument('--label', type=label, action='append', default=[])
    parser.add_argument('--gzip', action='store_true')
    args = parser.parse_args()

    registry = CollectorRegistry()
    Counter('py_client_items', 'Items processed by the Python client.', registry=registry).inc(args.value)
    Gauge('py_client_last_success_seconds', 'Last success of the Python client.', registry=registry).set(args.value)
    Histogram('py_client_duration_seconds', 'Duration seen by the Python client.', buckets=[1, 5], registry=registry).observe(args.value)

    grouping_key = dict(args.label)
    handler = gzip_handler if args.gzip else default_handler
    try:
        if args.op == 'push':
            push_to_gateway(args.url, job=args.job, registry=registry, grouping_key=grouping_key, handler=handler)
        elif args.op == 'add':
            pushadd_to_gateway(args.url, job=args.job, registry=registry, grouping_key=grouping_key, handler=handler)
        else:
            delete_from_gateway(args.url, job=args.job, grouping_key=grouping_key)
    except HTTPError as err:  # urllib raises it for any status >= 400; the gateway says why in the body
        print(f'{err}: {err.read().decode("utf-8", "replace").strip()}', file=sys.stderr)
        sys.exit(1)
    except Exception as err:
        print(err, file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
