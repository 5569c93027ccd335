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

# --- the class-data archive ------------------------------------------------------------------------
# install.sh --host makes, beside the installed jar, an archive of the classes a hook call loads,
# parsed, verified and laid out by the Java that made it (-XX:ArchiveClassesAtExit); the JVM maps it
# instead of reading them from the jar. It is named for that Java's build (one-pci-<build>.jsa, the
# JAVA_RUNTIME_VERSION of its release file), so another Java, or an upgraded one, finds none of its
# own and starts as before until install.sh --host runs again. Root maps only an archive root alone
# can change: a JVM loading a file someone else can write runs their code.
# The JVM checks the rest itself (the jar's size and time, the build again) and ignores an archive
# that does not match, without a word with the flags below (Java 17 and 25 checked).
ONE_PCI_CDS_QUIET='-Xlog:cds=off -Xlog:cds+dynamic=off'

# Sets ONE_PCI_CDS_NAME to one-pci-<build>.jsa for the Java in ONE_PCI_JAVA, read from its release
# file (no process run for a JVM folder's bin/java); status 1, and empty, without a plain build name.
one_pci_cds_name() {
    ONE_PCI_CDS_NAME=
    one_pci_home=${ONE_PCI_JAVA%/*/*}
    if [ ! -r "$one_pci_home/release" ]; then
        one_pci_home=$(readlink -f -- "$ONE_PCI_JAVA" 2>/dev/null) || return 1
        one_pci_home=${one_pci_home%/*/*}
        [ -r "$one_pci_home/release" ] || return 1
    fi
    one_pci_b='' one_pci_v=''
    while IFS= read -r one_pci_line; do
        case $one_pci_line in
            JAVA_RUNTIME_VERSION=*) one_pci_b=${one_pci_line#*=} ;;
            JAVA_VERSION=*) one_pci_v=${one_pci_line#*=} ;;
        esac
    done < "$one_pci_home/release"
    one_pci_b=${one_pci_b:-$one_pci_v}
    one_pci_b=${one_pci_b#\"}
    one_pci_b=${one_pci_b%\"}
    case $one_pci_b in '' | *[!A-Za-z0-9._+-]*) return 1 ;; esac
    ONE_PCI_CDS_NAME=one-pci-$one_pci_b.jsa
}

# Sets ONE_PCI_CDS_OPTS to the flags that map the archive beside jar $1 made for the Java in
# ONE_PCI_JAVA, when there is one and `trusted` (the hook's and the one-pci command's own check,
# the one the jar passed) accepts it; to nothing otherwise, and the JVM starts without it.
one_pci_cds_opts() {
    ONE_PCI_CDS_OPTS=
    one_pci_cds_name && [ -f "${1%/*}/$ONE_PCI_CDS_NAME" ] && trusted "${1%/*}/$ONE_PCI_CDS_NAME" || return 0
    ONE_PCI_CDS_OPTS="-XX:SharedArchiveFile=${1%/*}/$ONE_PCI_CDS_NAME $ONE_PCI_CDS_QUIET"
}

# Writes to $2 the archive for jar $1 (the path it will be run from) and the Java in ONE_PCI_JAVA:
# one run of a command that changes nothing (a dry-run prepare of a device that does not exist, on
# an empty tree made in folder $3), which loads what a hook call loads up to its refusal. Status 0
# only when the JVM wrote a non-empty file without a word about it; $2.log keeps what it said.
# Made as libvirt runs the hook: without the JVM option variables of the shell that runs this.
one_pci_make_cds() {
    mkdir -p -- "$3/sys/bus/pci/devices" || return 1
    printf '%s\n' "<domain><name>one-pci-cds</name><devices><hostdev mode='subsystem' type='pci' managed='yes'>" \
        "<source><address domain='0x0000' bus='0xff' slot='0x1f' function='0x7'/></source></hostdev></devices></domain>" > "$3/domain.xml" || return 1
    rm -f -- "$2"
    # shellcheck disable=SC2086 # ONE_PCI_JVM_OPTS is a list of words
    (unset JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS
        exec "$ONE_PCI_JAVA" $ONE_PCI_JVM_OPTS -XX:ArchiveClassesAtExit="$2" -jar "$1" \
            vfio prepare --dry-run --domain one-pci-cds --xml "$3/domain.xml" --sysfs-root "$3") > "$2.log" 2>&1
    [ -s "$2" ] && ! grep -q '\]\[cds' "$2.log"
}
