"""A batch job that pushes with the Python client, for the client tests.

Usage: push_client.py --url URL --job JOB --op push|add|delete [--value N] [--label name=value]... [--gzip]
"""
import argparse
import gzip
import sys

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import (default_handler, delete_from_gateway,
                                          push_to_gateway, pushadd_to_gateway)


def gzip_handler(url, method, timeout, headers, data):
    """The client has no compression option: a custom handler (its documented hook) gzips the body."""
    return default_handler(url, method, timeout, headers + [('Content-Encoding', 'gzip')], gzip.compress(data))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--url', required=True)
    parser.add_argument('--job', required=True)
    parser.add_argument('--op', choices=['push', 'add', 'delete'], default='push')
    parser.add_argument('--value', type=float, default=1)
    parser.add_argument('--label', action='append', default=[])
    parser.add_argument('--gzip', action='store_true')
    args = parser.parse_args()

    registry = CollectorRegistry()
    Counter('py_client_items', 'Items processed by the Python client.', registry=registry).inc(args.value)
    Gauge('py_client_last_success_seconds', 'Last success of the Python client.', registry=registry).set(args.value)
    Histogram('py_client_duration_seconds', 'Duration seen by the Python client.', buckets=[1, 5], registry=registry).observe(args.value)

    grouping_key = dict(label.split('=', 1) for label in args.label)
    handler = gzip_handler if args.gzip else default_handler
    try:
        if args.op == 'push':
            push_to_gateway(args.url, job=args.job, registry=registry, grouping_key=grouping_key, handler=handler)
        elif args.op == 'add':
            pushadd_to_gateway(args.url, job=args.job, registry=registry, grouping_key=grouping_key, handler=handler)
        else:
            delete_from_gateway(args.url, job=args.job, grouping_key=grouping_key)
    except Exception as err:  # the client raises urllib's HTTPError for any status >= 400
        print(err, file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
