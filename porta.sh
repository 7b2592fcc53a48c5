#!/bin/sh
# porta.sh — run the Porta CLI inside the running container (spec 30 §6).
#
#   ./porta.sh keys list
#   ./porta.sh provision -f ./provision.yaml --dry-run
#   cat manifest.json | ./porta.sh import -f -
#
# Runs `docker exec [-it] porta-app porta "$@"`:
#   - `-it` when stdin and stdout are terminals (prompts, wrapped tables);
#     `-i` alone when only stdin is one, so piped output stays clean;
#   - `-f FILE` / `--file FILE` / `--file=FILE` naming a file on this host:
#     the file is piped through stdin and the path becomes `-` (a container
#     cannot see host paths); a path that is not a host file is passed as is;
#   - `-f -`: stdin is forwarded.
# PORTA_CONTAINER_NAME overrides the container (default porta-app).
set -eu

container=${PORTA_CONTAINER_NAME:-porta-app}
host_file=
forward_stdin=false
expect_file=false

# Rebuild "$@" one argument at a time, keeping every argument intact.
count=$#
while [ "$count" -gt 0 ]; do
  arg=$1
  shift
  count=$((count - 1))
  if [ "$expect_file" = true ]; then
    expect_file=false
    if [ "$arg" = - ]; then
      forward_stdin=true
    elif [ -f "$arg" ]; then
      if [ -n "$host_file" ]; then
        echo "porta.sh: only one -f host file can be piped into the container" >&2
        exit 2
      fi
      host_file=$arg
      arg=-
    fi
  else
    case $arg in
      -f | --file) expect_file=true ;;
      --file=-) forward_stdin=true ;;
      --file=*)
        if [ -f "${arg#--file=}" ]; then
          if [ -n "$host_file" ]; then
            echo "porta.sh: only one -f host file can be piped into the container" >&2
            exit 2
          fi
          host_file=${arg#--file=}
          arg=--file=-
        fi
        ;;
    esac
  fi
  set -- "$@" "$arg"
done

if [ -n "$host_file" ]; then
  if [ ! -r "$host_file" ]; then
    echo "porta.sh: cannot read $host_file" >&2
    exit 2
  fi
  exec docker exec -i "$container" porta "$@" <"$host_file"
elif [ "$forward_stdin" = true ]; then
  exec docker exec -i "$container" porta "$@"
elif [ -t 0 ] && [ -t 1 ]; then
  exec docker exec -it "$container" porta "$@"
elif [ -t 0 ]; then
  exec docker exec -i "$container" porta "$@"
else
  exec docker exec "$container" porta "$@"
fi
