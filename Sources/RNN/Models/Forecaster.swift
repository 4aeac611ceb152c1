import Linalg

/// A model that forecasts windows: `ForecastModel` (all steps at once) and
/// `AutoregressiveForecastModel` (one step at a time, fed back). Both take the same
/// batches and return forecasts laid out `[B, horizon, targetCount, quantiles]`, so a
/// caller (the `series` tool) can train, evaluate and predict with either.
public protocol Forecaster: SequenceModel where Batch == ForecastModel.Batch {
    /// The training loss, and with it the quantiles of the outputs.
    var forecastLoss: ForecastLoss { get }
    /// Values per window: `horizon · targetCount · quantiles`.
    var forecastOutputSize: Int { get }
    /// The stack that reads the window (for descriptions).
    var windowStack: RecurrentStack { get }
    /// The forecasts `[B, forecastOutputSize]` of windows `input` (`[T·B, inputSize]`).
    func predict(_ input: SequenceInput, batchSize: Int) -> Matrix
}

extension ForecastModel: Forecaster {
    public var forecastLoss: ForecastLoss { configuration.loss }
    public var forecastOutputSize: Int { configuration.outputSize }
    public var windowStack: RecurrentStack { rnn }
}

extension AutoregressiveForecastModel: Forecaster {
    public var forecastLoss: ForecastLoss { configuration.loss }
    public var forecastOutputSize: Int { configuration.outputSize }
    public var windowStack: RecurrentStack { encoder }
}
