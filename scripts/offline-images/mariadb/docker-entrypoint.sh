#!/bin/bash
# A small subset of the official mariadb entrypoint: first start creates the root password (or an
# empty one with MARIADB_ALLOW_EMPTY_ROOT_PASSWORD), an optional database and user from MARIADB_*
# (or MYSQL_*) variables, runs initdb.d, then execs mariadbd.
set -Eeo pipefail
if [ "${1:-}" = mariadbd ]; then
  root_pw="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
  db="${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}"
  user="${MARIADB_USER:-${MYSQL_USER:-}}"
  pw="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"
  chown -R mysql:mysql /var/lib/mysql /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    allow_empty="${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
    if [ -z "$root_pw" ] && [ -z "$allow_empty" ]; then echo "error: MARIADB_ROOT_PASSWORD is not set (or set MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1)" >&2; exit 1; fi
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
    mariadbd --user=mysql --skip-networking --socket=/run/mysqld/mysqld.sock &
    pid=$!
    for _ in $(seq 1 60); do mariadb-admin --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1 && break; sleep 0.5; done
    {
      printf "ALTER USER 'root'@'localhost' IDENTIFIED BY '%s';\n" "${root_pw//\'/\'\'}"
      printf "CREATE USER 'root'@'%%' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO 'root'@'%%' WITH GRANT OPTION;\n" "${root_pw//\'/\'\'}"
      [ -n "$db" ] && printf 'CREATE DATABASE IF NOT EXISTS `%s`;\n' "$db"
      if [ -n "$user" ] && [ -n "$pw" ]; then
        printf "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n" "$user" "${pw//\'/\'\'}"
        [ -n "$db" ] && printf 'GRANT ALL ON `%s`.* TO '"'"'%s'"'"'@'"'"'%%'"'"';\n' "$db" "$user"
      fi
      echo 'FLUSH PRIVILEGES;'
    } | mariadb --socket=/run/mysqld/mysqld.sock -uroot
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sql) MYSQL_PWD="$root_pw" mariadb --socket=/run/mysqld/mysqld.sock -uroot ${db:+"$db"} <"$f" ;;
        *.sh) . "$f" ;;
      esac
    done
    # The password goes by environment, never on a command line.
    MYSQL_PWD="$root_pw" mariadb-admin --socket=/run/mysqld/mysqld.sock -uroot shutdown 2>/dev/null || kill "$pid"
    wait "$pid" || true
  fi
  exec mariadbd --user=mysql --bind-address=0.0.0.0 --socket=/run/mysqld/mysqld.sock "${@:2}"
fi
exec "$@"
