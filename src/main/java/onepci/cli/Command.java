package onepci.cli;

import java.util.List;

/** A subcommand: parses its own options and runs with the streams it is given. */
interface Command {

  /** One line for the usage text. */
  String synopsis();

  /**
   * Runs the command.
   *
   * @return the exit status
   * @throws UsageException when the arguments are wrong
   */
  int run(List<String> args, Io io) throws UsageException;
}
