#!/bin/sh
# The official image builds Redis with protected mode off, so the app in another container may
# connect without a password; Debian's Redis keeps it on. Turn it off the same way here (only
# the compose network and a 127.0.0.1 published port reach this server).
set -eu
if [ "$1" = "redis-server" ]; then
    shift
    exec redis-server "$@" --protected-mode no
fi
exec "$@"
