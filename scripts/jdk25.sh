# Sourced by ./blt4j, ./run-tests and .ci/run: finds a JDK 25 (or newer) and exports JAVA_HOME.
# Order: $JAVA_HOME, the `java` on PATH, then the usual install folders.

blt4j_java_major() { # $1 = java binary -> prints the feature version (17, 25, ...)
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}

blt4j_find_jdk() {
  local c java_on_path
  java_on_path="$(command -v java 2>/dev/null || true)"
  [ -n "$java_on_path" ] && java_on_path="$(dirname "$(dirname "$(readlink -f "$java_on_path")")")"
  for c in "${JAVA_HOME:-}" "$java_on_path" \
           /usr/lib/jvm/temurin-2[5-9]* /usr/lib/jvm/java-2[5-9]* /usr/lib/jvm/jdk-2[5-9]* /usr/lib/jvm/openjdk-2[5-9]* \
           /opt/java/openjdk /opt/jdk-2[5-9]* /usr/local/jdk-2[5-9]* "$HOME"/.sdkman/candidates/java/2[5-9]* \
           /Library/Java/JavaVirtualMachines/*2[5-9]*/Contents/Home; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    local v; v="$(blt4j_java_major "$c/bin/java")"
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}

if ! BLT4J_JDK="$(blt4j_find_jdk)"; then
  echo "blt4j: no JDK 25 found. Install a JDK 25 (e.g. Temurin 25) and set JAVA_HOME to it;" >&2
  echo "       looked at \$JAVA_HOME, the java on PATH and /usr/lib/jvm, /opt, ~/.sdkman." >&2
  exit 1
fi
export JAVA_HOME="$BLT4J_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
