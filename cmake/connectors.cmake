# Built-in connectors. One arus_connector() call each: the option that enables it, the ops
# tables it exports, the registry names (aliases included), its files and pkg-config modules.
# CMake turns the enabled ones into the static registry table (src/core/registry_builtin.c.in).

arus_connector(NAME sqlite OPTION ARUS_WITH_SQLITE
    SOURCE_OPS arus_source_sqlite DEST_OPS arus_destination_sqlite
    FILES src/sources/sqlite.c src/destinations/sqlite.c src/sources/sqlite_conn.c
    PKGS sqlite3)

arus_connector(NAME postgresql OPTION ARUS_WITH_POSTGRESQL
    SOURCE_OPS arus_source_postgresql DEST_OPS arus_destination_postgresql
    FILES src/sources/postgresql.c src/destinations/postgresql.c
          src/destinations/pg_conn.c
    PKGS libpq)

arus_connector(NAME mysql OPTION ARUS_WITH_MYSQL ALIASES mariadb
    SOURCE_OPS arus_source_mysql DEST_OPS arus_destination_mysql
    FILES src/sources/mysql.c src/destinations/mysql.c src/destinations/my_conn.c
          src/destinations/my_load.c
    PKGS libmariadb)

arus_connector(NAME mongodb OPTION ARUS_WITH_MONGODB
    SOURCE_OPS arus_source_mongodb
    FILES src/sources/mongodb.c src/sources/mongo_bson.c
    PKGS libmongoc-1.0)

arus_connector(NAME clickhouse OPTION ARUS_WITH_CLICKHOUSE
    DEST_OPS arus_destination_clickhouse
    FILES src/destinations/clickhouse.c src/destinations/ch_state.c src/destinations/ch_http.c
          src/destinations/ch_text.c
    PKGS libcurl zlib)
