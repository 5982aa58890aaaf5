# Reads CTest's output and prints the cross-database matrix: one row per test,
# one column per backend, and a line of totals. Matrix tests are the ones CTest
# names "<backend>:<test>"; every other test is counted apart.
#   awk -f matrix_report.awk ctest-output.log

function outcome(line) {
    if (line ~ /[ \t]Passed[ \t]/) return "pass"
    if (line ~ /\*\*\*Skipped/) return "skip"
    if (line ~ /Not Run/) return "NOT RUN"
    return "FAIL"  # ***Failed, ***Timeout, ***Exception...
}

# "  12/188 Test  #12: postgresql:pool: ... .........   Passed    0.44 sec"
/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / {
    name = $0
    sub(/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: /, "", name)
    sub(/ \.\.\.*.*$/, "", name)  # the dots CTest pads the name with, and what follows
    result = outcome($0)
    if (match(name, /^(sqlite|postgresql|mysql):/)) {
        backend = substr(name, 1, RLENGTH - 1)
        test = substr(name, RLENGTH + 1)
        sub(/^ +/, "", test)
        seen_backend[backend] = 1
        if (!(test in seen_test)) { seen_test[test] = 1; tests[++nt] = test }
        cell[test, backend] = result
        total[backend, result]++
    } else {
        other[result]++
        others++
    }
}

END {
    if (nt == 0) exit
    split("sqlite postgresql mysql", order, " ")  # columns in this order, whatever order they ran in
    for (i = 1; i <= 3; i++) if (order[i] in seen_backend) backends[++nb] = order[i]
    width = 64
    printf "\nCross-database matrix (%d tests x %d backends):\n", nt, nb
    printf "  %-" width "s", "test"
    for (b = 1; b <= nb; b++) printf "  %-10s", backends[b]
    printf "\n"
    for (t = 1; t <= nt; t++) {
        label = tests[t]
        if (length(label) > width) label = substr(label, 1, width - 3) "..."
        printf "  %-" width "s", label
        for (b = 1; b <= nb; b++) {
            c = cell[tests[t], backends[b]]
            printf "  %-10s", (c == "" ? "-" : c)
        }
        printf "\n"
    }
    printf "  %-" width "s", "passed / failed / skipped"
    for (b = 1; b <= nb; b++) {
        failed = total[backends[b], "FAIL"] + total[backends[b], "NOT RUN"]
        printf "  %-10s", sprintf("%d/%d/%d", total[backends[b], "pass"], failed, total[backends[b], "skip"])
    }
    printf "\n"
    if (others)
        printf "Other tests (unit, plugin, build checks): %d passed, %d failed, %d skipped\n",
               other["pass"], other["FAIL"] + other["NOT RUN"], other["skip"]
}
