#!/usr/bin/env bash
# MariaDB binlog change data capture into the other destinations: a follower per destination
# (MariaDB, SQLite, ClickHouse) applies a sysbench write workload with deletes (oltp_write_only,
# oltp_delete) and updates of a row with a long text; after SIGTERM and a final run each
# destination equals the source.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/ch_lib.sh"
CDC_SOURCE=my
source "$(dirname "$0")/cdc_lib.sh"

cdc_sb oltp_write_only prepare >/dev/null
mys "$MY_SRC" -e "CREATE TABLE doc (id INT PRIMARY KEY, v INT, body LONGTEXT);
                  INSERT INTO doc SELECT seq, 0, REPEAT(MD5(seq), 2000) FROM seq_1_to_5"

cdc_dests_config mysrc "$(my_endpoint mysrc mariadb "$MY_SRC")"
cdc_dests_follow mys "$MY_SRC" -e "UPDATE doc SET v = v + 1"

[ "$(mys -e "SELECT count(*) FROM \`$MY_SRC\`.sbtest1")" -gt 100 ] || fail "the workload deleted nearly everything"
cdc_dests_equal \
    "$(mys -e "SELECT CONCAT(id, ' ', k, ' ', RTRIM(c), ' ', RTRIM(pad)) FROM \`$MY_SRC\`.sbtest1 ORDER BY id" | md5sum)" \
    "$(mys -e "SELECT CONCAT(id, ' ', v, ' ', MD5(body)) FROM \`$MY_SRC\`.doc ORDER BY id" | md5sum)" \
    "MariaDB long-text"
echo ok
