"""The error of a bad command line met after parsing, shared by the modules of the command."""


class ConfigError(ValueError):
    """A configuration that cannot run because of the flags given (a value that does not fit
    the data set, the model or the run resumed): the command line reports it as a bad command
    line (exit status 2), and the message names the flag."""
