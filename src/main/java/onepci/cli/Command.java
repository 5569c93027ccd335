package onepci.cli;

import java.util.List;

/** A subcommand: parses its own options and runs with the streams it is given. */
interface Command {

  /** Its usage lines, without {@code usage: one-pci}: {@code probe [--config FILE] ...}. */
  List<String> synopsis();

  /**
   * What {@code --help} prints: the usage lines, what the command does, each option; for a command
   * with actions ({@code vfio prepare}), the action's own when {@code args} names one.
   */
  String help(List<String> args);

  /**
   * Runs the command.
   *
   * @return the exit status
   * @throws UsageException when the arguments are wrong
   */
  int run(List<String> args, Io io) throws UsageException;
}
