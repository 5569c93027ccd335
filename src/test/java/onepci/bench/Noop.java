package onepci.bench;

/** The benchmark's floor: the JVM starting and stopping with the probe's flags, doing nothing. */
public final class Noop {

  private Noop() {}

  public static void main(String[] args) {
    // nothing: what is measured is the JVM itself
  }
}
