#!/bin/sh
# Like the official entrypoint: run as the redis user, and turn protected mode
# off (the compose network, not a loopback bind, is what keeps Redis private).
set -eu
if [ "$1" = redis-server ]; then
  shift
  chown -R redis:redis /data
  exec runuser -u redis -- redis-server "$@" --protected-mode no
fi
exec "$@"
