# one-pci: where Java is and which JVM flags the vfio engine runs with. One rule, sourced (POSIX
# sh) by the libvirt hook, by the one-pci command and by install.sh; installed root-owned as
# /usr/lib/one-pci/java.sh beside the jar. The probe launcher (probe/pci-probe) keeps its own
# search; JavaRuleIT checks that it looks in the same places for the same minimum version.
#
# Search, first found: $JAVA_HOME/bin/java, java on PATH, then ONE_PCI_JVM_DIRS/*/bin/java
# (default /usr/lib/jvm). libvirt passes its hooks only PATH (and LC_ALL, HOME, USER, LOGNAME,
# TMPDIR, LD_*), so under libvirt the hook finds Java on PATH or in /usr/lib/jvm.
# Only shell variables and functions named one_pci_* / ONE_PCI_* are set.
# shellcheck disable=SC2034 # the variables are for the files that source this one

ONE_PCI_JAVA_MIN=17
# A short-lived process: C1 only and the serial collector cost least; no perf data file.
ONE_PCI_JVM_OPTS='-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto'
ONE_PCI_JVM_DIRS=${ONE_PCI_JVM_DIRS:-/usr/lib/jvm}
ONE_PCI_JAVA_TRIED="JAVA_HOME, PATH and $ONE_PCI_JVM_DIRS"
ONE_PCI_JAVA_INSTALL="openjdk-17-jre-headless (Debian, Ubuntu) or java-17-openjdk-headless (RHEL, Alma, Rocky)"

# Prints the major version of the Java at $1, from its release file, else from -version.
one_pci_java_major() {
    one_pci_real=$(readlink -f -- "$1" 2>/dev/null) || one_pci_real=$1
    one_pci_v=
    if [ -r "${one_pci_real%/*/*}/release" ]; then
        one_pci_v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "${one_pci_real%/*/*}/release")
    fi
    [ -n "$one_pci_v" ] || one_pci_v=$("$1" -version 2>&1 | sed -n '1s/.*version "\([0-9][0-9]*\).*/\1/p')
    printf '%s\n' "$one_pci_v"
}

# Sets ONE_PCI_JAVA to the first Java ONE_PCI_JAVA_MIN or newer; status 1 when there is none.
one_pci_find_java() {
    for ONE_PCI_JAVA in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null)" "$ONE_PCI_JVM_DIRS"/*/bin/java; do
        if [ -z "$ONE_PCI_JAVA" ] || [ ! -x "$ONE_PCI_JAVA" ]; then continue; fi
        one_pci_m=$(one_pci_java_major "$ONE_PCI_JAVA")
        case $one_pci_m in '' | *[!0-9]*) continue ;; esac
        [ "$one_pci_m" -ge "$ONE_PCI_JAVA_MIN" ] && return 0
    done
    ONE_PCI_JAVA=
    return 1
}
