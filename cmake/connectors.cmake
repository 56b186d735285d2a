# Built-in connectors, one folder each under src/connectors/<NAME>/ (every .c there is compiled
# in) with its unit tests under tests/unit/<NAME>/. One arus_connector() call each: the option
# that enables it, the ops tables it exports, the registry names (aliases included) and its
# pkg-config modules. CMake turns the enabled ones into the static registry table
# (src/core/registry_builtin.c.in).

arus_connector(NAME sqlite OPTION ARUS_WITH_SQLITE
    SOURCE_OPS arus_source_sqlite DEST_OPS arus_destination_sqlite
    PKGS sqlite3)

arus_connector(NAME postgresql OPTION ARUS_WITH_POSTGRESQL
    SOURCE_OPS arus_source_postgresql DEST_OPS arus_destination_postgresql
    PKGS libpq)

arus_connector(NAME mysql OPTION ARUS_WITH_MYSQL ALIASES mariadb
    SOURCE_OPS arus_source_mysql DEST_OPS arus_destination_mysql
    PKGS libmariadb zlib)

arus_connector(NAME mongodb OPTION ARUS_WITH_MONGODB
    SOURCE_OPS arus_source_mongodb
    PKGS libmongoc-1.0)

arus_connector(NAME clickhouse OPTION ARUS_WITH_CLICKHOUSE
    DEST_OPS arus_destination_clickhouse
    PKGS libcurl zlib)
