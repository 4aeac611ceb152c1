import ArgumentParser
import RNN

// The library's option values as command-line arguments, for every tool.
extension RecurrentCell: ExpressibleByArgument {}
extension Nonlinearity: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension TextUnit: ExpressibleByArgument {}
extension AttentionScore: ExpressibleByArgument {}
