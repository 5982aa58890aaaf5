#include "mysql_errors.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

namespace retort::mysql {

ErrorKind classify(unsigned code, const std::string& sqlstate) {
    switch (code) {
        // Constraint violations.
        case ER_DUP_KEY:                  // 1022
        case ER_BAD_NULL_ERROR:           // 1048 column cannot be null
        case ER_DUP_ENTRY:                // 1062
        case ER_DUP_UNIQUE:               // 1169
        case ER_NO_REFERENCED_ROW:        // 1216
        case ER_ROW_IS_REFERENCED:        // 1217
        case ER_NO_DEFAULT_FOR_FIELD:     // 1364 NOT NULL column without a value
        case ER_ROW_IS_REFERENCED_2:      // 1451
        case ER_NO_REFERENCED_ROW_2:      // 1452
        case ER_DUP_ENTRY_WITH_KEY_NAME:  // 1586
        case ER_DUP_UNKNOWN_IN_INDEX:     // 1859
        case ER_CONSTRAINT_FAILED:        // 4025 MariaDB CHECK constraint
        case 3819:                        // MySQL ER_CHECK_CONSTRAINT_VIOLATED
            return ErrorKind::integrity;

        // The connection, the server or a lock, not the statement.
        case ER_CON_COUNT_ERROR:                // 1040 too many connections
        case ER_DBACCESS_DENIED_ERROR:          // 1044
        case ER_ACCESS_DENIED_ERROR:            // 1045
        case ER_SERVER_SHUTDOWN:                // 1053
        case ER_OUTOFMEMORY:                    // 1037
        case ER_OUT_OF_RESOURCES:               // 1041
        case ER_HOST_IS_BLOCKED:                // 1129
        case ER_HOST_NOT_PRIVILEGED:            // 1130
        case ER_ABORTING_CONNECTION:            // 1152
        case ER_NET_PACKET_TOO_LARGE:           // 1153
        case ER_NET_READ_ERROR:                 // 1158
        case ER_NET_READ_INTERRUPTED:           // 1159
        case ER_NET_ERROR_ON_WRITE:             // 1160
        case ER_NET_WRITE_INTERRUPTED:          // 1161
        case ER_TOO_MANY_USER_CONNECTIONS:      // 1203
        case ER_LOCK_WAIT_TIMEOUT:              // 1205
        case ER_LOCK_DEADLOCK:                  // 1213
        case ER_USER_LIMIT_REACHED:             // 1226
        case ER_NOT_SUPPORTED_AUTH_MODE:        // 1251
        case ER_OPTION_PREVENTS_STATEMENT:      // 1290 read-only server...
        case ER_QUERY_INTERRUPTED:              // 1317
        case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:  // 1792
        case ER_MUST_CHANGE_PASSWORD:           // 1820
        case ER_MUST_CHANGE_PASSWORD_LOGIN:     // 1862
        case ER_CONNECTION_KILLED:              // 1927
        case ER_STATEMENT_TIMEOUT:              // 1969 MariaDB max_statement_time
        case 3024:                              // MySQL max_execution_time exceeded
        case 4031:                              // MySQL: disconnected for inactivity
        case CR_UNKNOWN_ERROR:                  // 2000
        case CR_SOCKET_CREATE_ERROR:            // 2001
        case CR_CONNECTION_ERROR:               // 2002
        case CR_CONN_HOST_ERROR:                // 2003
        case CR_IPSOCK_ERROR:                   // 2004
        case CR_UNKNOWN_HOST:                   // 2005
        case CR_SERVER_GONE_ERROR:              // 2006
        case CR_VERSION_ERROR:                  // 2007
        case CR_OUT_OF_MEMORY:                  // 2008
        case CR_SERVER_HANDSHAKE_ERR:           // 2012
        case CR_SERVER_LOST:                    // 2013
        case CR_NET_PACKET_TOO_LARGE:           // 2020
        case CR_SSL_CONNECTION_ERROR:           // 2026
        case CR_MALFORMED_PACKET:               // 2027
        case CR_SERVER_LOST_EXTENDED:           // 2055
        case CR_AUTH_PLUGIN_CANNOT_LOAD:        // 2059
        case CR_AUTH_PLUGIN_ERR:                // 2061
        case CR_ERR_NET_READ:                   // 5013
        case CR_ERR_NET_WRITE:                  // 5014
            return ErrorKind::operational;

        // The statement is wrong.
        case ER_NO_DB_ERROR:                    // 1046
        case ER_BAD_DB_ERROR:                   // 1049
        case ER_TABLE_EXISTS_ERROR:             // 1050
        case ER_BAD_TABLE_ERROR:                // 1051
        case ER_NON_UNIQ_ERROR:                 // 1052 ambiguous column
        case ER_BAD_FIELD_ERROR:                // 1054
        case ER_DUP_FIELDNAME:                  // 1060
        case ER_DUP_KEYNAME:                    // 1061
        case ER_PARSE_ERROR:                    // 1064
        case ER_CANT_DROP_FIELD_OR_KEY:         // 1091
        case ER_UNKNOWN_TABLE:                  // 1109
        case ER_WRONG_VALUE_COUNT_ON_ROW:       // 1136
        case ER_TABLEACCESS_DENIED_ERROR:       // 1142
        case ER_COLUMNACCESS_DENIED_ERROR:      // 1143
        case ER_NO_SUCH_TABLE:                  // 1146
        case ER_SYNTAX_ERROR:                   // 1149
        case ER_UNKNOWN_SYSTEM_VARIABLE:        // 1193
        case ER_WRONG_ARGUMENTS:                // 1210
        case ER_WRONG_NUMBER_OF_COLUMNS_IN_SELECT:  // 1222
        case ER_OPERAND_COLUMNS:                // 1241
        case ER_UNKNOWN_STMT_HANDLER:           // 1243
        case ER_ILLEGAL_REFERENCE:              // 1247
        case ER_DERIVED_MUST_HAVE_ALIAS:        // 1248
        case ER_CANT_AGGREGATE_2COLLATIONS:     // 1267
        case ER_CANT_AGGREGATE_NCOLLATIONS:     // 1271
        case ER_SP_DOES_NOT_EXIST:              // 1305
        case ER_SP_WRONG_NO_OF_ARGS:            // 1318
        case ER_FUNC_INEXISTENT_NAME_COLLISION: // 1630
        case CR_COMMANDS_OUT_OF_SYNC:           // 2014
        case CR_NO_PREPARE_STMT:                // 2030
        case CR_PARAMS_NOT_BOUND:               // 2031
        case CR_INVALID_PARAMETER_NO:           // 2034
        case CR_UNSUPPORTED_PARAM_TYPE:         // 2036
        case CR_NO_DATA:                        // 2051
        case CR_STMT_CLOSED:                    // 2056
            return ErrorKind::programming;

        // A value that does not fit.
        case ER_INVALID_USE_OF_NULL:            // 1138
        case ER_WARN_DATA_OUT_OF_RANGE:         // 1264
        case WARN_DATA_TRUNCATED:               // 1265
        case ER_TRUNCATED_WRONG_VALUE:          // 1292
        case ER_INVALID_CHARACTER_STRING:       // 1300
        case ER_DIVISION_BY_ZERO:               // 1365
        case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:  // 1366
        case ER_ILLEGAL_VALUE_FOR_TYPE:         // 1367
        case ER_DATA_TOO_LONG:                  // 1406
        case ER_WRONG_VALUE_FOR_TYPE:           // 1411
        case ER_CANT_CREATE_GEOMETRY_OBJECT:    // 1416
        case ER_DATETIME_FUNCTION_OVERFLOW:     // 1441
        case ER_DATA_OUT_OF_RANGE:              // 1690
        case ER_BAD_DATA:                       // 1918
        case 3140:                              // MySQL ER_INVALID_JSON_TEXT
        case ER_JSON_BAD_CHR:                   // 4035
        case ER_JSON_NOT_JSON_CHR:              // 4036
        case ER_JSON_EOS:                       // 4037
        case ER_JSON_SYNTAX:                    // 4038
            return ErrorKind::data;

        case ER_NOT_SUPPORTED_YET:              // 1235
        case ER_CHECK_NOT_IMPLEMENTED:          // 1178
        case ER_FEATURE_DISABLED:               // 1289
        case ER_UNSUPPORTED_PS:                 // 1295
        case CR_NOT_IMPLEMENTED:                // 2054
        case CR_FUNCTION_NOT_SUPPORTED:         // 5003
            return ErrorKind::not_supported;

        case CR_NEW_STMT_METADATA:              // 2057
        case CR_NO_STMT_METADATA:               // 2052
            return ErrorKind::internal;
        default: break;
    }
    if (sqlstate.size() == 5) {
        std::string cls = sqlstate.substr(0, 2);
        if (cls == "23") return ErrorKind::integrity;
        if (cls == "22") return ErrorKind::data;
        if (cls == "42") return ErrorKind::programming;
        if (cls == "08" || cls == "40" || cls == "28") return ErrorKind::operational;
        if (cls == "0A") return ErrorKind::not_supported;
        if (cls == "XA") return ErrorKind::operational;
    }
    if (code >= CR_MIN_ERROR && code <= CR_MAX_ERROR) return ErrorKind::operational;  // other client-side failures
    return ErrorKind::generic;
}

bool is_connection_lost(unsigned code, bool mariadb) {
    switch (code) {
        case CR_SERVER_GONE_ERROR:
        case CR_SERVER_LOST:
        case CR_SERVER_LOST_EXTENDED:
        case CR_MALFORMED_PACKET:    // the stream is out of step: nothing after it can be trusted
        case CR_COMMANDS_OUT_OF_SYNC:  // likewise
        case CR_ERR_NET_READ:
        case CR_ERR_NET_WRITE:
        case ER_CONNECTION_KILLED:   // KILL from another session
        case ER_SERVER_SHUTDOWN:
        case ER_ABORTING_CONNECTION:
        case ER_NET_PACKET_TOO_LARGE:  // the server closes the connection after it
        case ER_NET_READ_ERROR:
        case ER_NET_READ_INTERRUPTED:
        case ER_NET_ERROR_ON_WRITE:
        case ER_NET_WRITE_INTERRUPTED:
            return true;
        case 4031:  // MySQL's "disconnected for inactivity"; MariaDB uses the number for a trigger error
            return !mariadb;
        default: return false;
    }
}

namespace {

// Some server messages quote the offending value ("Duplicate entry
// 'a@example.com' for key 'email'"). A value is application data (a password
// hash, an e-mail address) and errors end up in logs: it is masked, the rest of
// the message (which key, which column) kept.
std::string mask_value(unsigned code, std::string message) {
    std::size_t open = message.find('\'');
    if (open == std::string::npos) return message;
    // The value may hold quotes, and "' " too: what ends it is the template's
    // own text after it, found from the end of the message.
    std::string_view after;
    switch (code) {
        case ER_DUP_ENTRY:                // Duplicate entry '%s' for key '%s'
        case ER_DUP_ENTRY_WITH_KEY_NAME: after = "' for key '"; break;
        case ER_TRUNCATED_WRONG_VALUE:            // Incorrect datetime value: '%s' [for column `c` at row n]
        case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:  // Incorrect integer value: '%s' for column `c` at row n
            after = "' for column ";
            break;
        case ER_ILLEGAL_VALUE_FOR_TYPE: after = "' value found during parsing"; break;  // Illegal double '%s' value...
        case ER_WRONG_VALUE_FOR_TYPE: after = "' for function "; break;    // Incorrect %s value: '%s' for function %s
        case ER_BAD_DATA: after = "' when converting to "; break;          // Encountered illegal value '%s' when...
        case ER_INVALID_CHARACTER_STRING: break;                           // Invalid %s character string: '%s'
        default: return message;
    }
    std::size_t close = after.empty() ? std::string::npos : message.rfind(after);
    if ((close == std::string::npos || close <= open) && message.size() > open + 1 && message.back() == '\'')
        close = message.size() - 1;  // the value ends the message
    // Not found (the server cut a long message short): mask all that follows,
    // rather than guess where the value ends.
    if (close == std::string::npos || close <= open) return message.substr(0, open + 1) + "***";
    return message.substr(0, open + 1) + "***" + message.substr(close);
}

/// The key or constraint a violation names: "... for key 'name'" (a duplicate;
/// MariaDB 10.5+ may write 'table.name'), "CONSTRAINT `name` FOREIGN KEY", or
/// "CONSTRAINT `name` failed" (a CHECK).
std::string constraint_of(unsigned code, std::string_view message) {
    if (code == ER_DUP_ENTRY || code == ER_DUP_ENTRY_WITH_KEY_NAME) {
        auto at = message.rfind("for key '");
        if (at == std::string_view::npos || message.back() != '\'') return "";
        std::string_view key = message.substr(at + 9, message.size() - at - 10);
        if (auto dot = key.rfind('.'); dot != std::string_view::npos) key.remove_prefix(dot + 1);
        return std::string(key);
    }
    if (auto at = message.find("CONSTRAINT `"); at != std::string_view::npos) {
        auto end = message.find('`', at + 12);
        if (end != std::string_view::npos) return std::string(message.substr(at + 12, end - at - 12));
    }
    return "";
}

Diagnostics make(unsigned code, const char* sqlstate, const char* message, const std::string& statement) {
    Diagnostics d;
    if (message) d.constraint = constraint_of(code, message);
    d.native_code = static_cast<int>(code);
    if (sqlstate && std::string_view(sqlstate) != "00000") d.sqlstate = sqlstate;
    d.message = message && *message ? mask_value(code, message) : "unknown MySQL error " + std::to_string(code);
    d.statement = statement;
    return d;
}

}  // namespace

Diagnostics connection_diagnostics(MYSQL* m, const std::string& statement) {
    return make(mysql_errno(m), mysql_sqlstate(m), mysql_error(m), statement);
}

Diagnostics statement_diagnostics(MYSQL_STMT* stmt, const std::string& statement) {
    return make(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), statement);
}

}  // namespace retort::mysql
