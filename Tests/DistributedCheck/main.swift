// distributed-check: run under `mpirun -np N`, every rank checks data-parallel training
// over MPI against one process training the whole batch, which each rank also computes
// itself (the oracle is in every rank, so no file passes between them). Rank 0 prints:
//   gradient <max |g_N - g_1|> <max |g_1|>      one step's gradients
//   losses <max |loss_N - loss_1|> <steps>      the losses of --steps steps
//   weights <max |w_N - w_1|>                   the weights after them
// Each rank initializes its model from seed + rank, so the weights only agree if rank
// 0's are broadcast. Used by Tests/RNNDistributedTests.
import Foundation
import Linalg
import RNN
import RNNDistributed
import RNNTraining

let arguments: [String: String] = {
    var pairs = [String: String](), index = 1
    while index + 1 < CommandLine.arguments.count {
        pairs[CommandLine.arguments[index]] = CommandLine.arguments[index + 1]
        index += 2
    }
    return pairs
}()
func option(_ name: String, _ fallback: Int) -> Int { arguments[name].flatMap(Int.init) ?? fallback }
let steps = option("--steps", 20), batchSize = option("--batch-size", 8), seqLength = option("--seq-length", 6)
let hidden = option("--hidden-size", 16), workers = option("--workers", 1), vocabulary = 13
let cell = RecurrentCell(rawValue: arguments["--cell"] ?? "lstm") ?? .lstm

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

let world: Communicator
do { world = try Communicator.world(collectiveTimeout: 60) } catch { fail("\(error)") }
ComputeThreads.count = 1

// A seeded token text: batches of `batchSize` streams that continue each other.
var textRandom = SeededRandom(seed: 42)
let tokens = (0..<(batchSize * (seqLength * 4 + 1))).map { _ in Int32(textRandom.index(below: vocabulary)) }
guard let streams = TokenStreams(tokens: TokenSequence(tokens), batchSize: batchSize, seqLength: seqLength, partialChunks: false) else {
    fail("text too short")
}
let configuration = ManyToManyModel.Configuration(
    inputSize: vocabulary, outputSize: vocabulary,
    recurrent: RecurrentConfiguration(cell: cell, hiddenSize: hidden, numLayers: 2))
var oracleRandom = SeededRandom(seed: 7)
let oracle = ManyToManyModel(configuration, using: &oracleRandom)
var rankRandom = SeededRandom(seed: 7 + UInt64(world.rank))
let model = ManyToManyModel(configuration, using: &rankRandom)
do { try world.broadcastValues(of: model.parameters) } catch { fail("\(error)") }
let share = RankShare(rank: world.rank, ranks: world.size, batchSize: batchSize)
guard !share.sequences.isEmpty else { fail("\(world.size) ranks for \(batchSize) streams") }
let local = RankBatchSource(streams, share: share, stateBlocks: model.stateBlocks)

func maxDifference(_ a: ParameterBuffer, _ b: ParameterBuffer) -> Float {
    (0..<a.count).reduce(0) { max($0, abs(a[$1] - b[$1])) }
}

// One step's gradients.
var whole = ManyToManyModel.Batch(), mine = ManyToManyModel.Batch()
streams.fill(0, epoch: 0, into: &whole)
local.fill(0, epoch: 0, into: &mine)
oracle.computeGradients(whole)
let reducer = GradientAllReduce(world)
let parallel = DataParallelModel(model, workers: workers)
let localLoss = parallel.computeGradients(mine)
do { _ = try reducer.reduce(model.parameters, loss: localLoss, countedTargets: mine.countedTargets) } catch { fail("\(error)") }
let gradientDifference = maxDifference(oracle.parameters.gradients, model.parameters.gradients)
let gradientScale = oracle.parameters.gradients.reduce(0) { max($0, abs($1)) }

// `steps` steps of training (truncated BPTT, clipping, Adam) both ways.
let single = Trainer(model: oracle, optimizer: Adam(learningRate: 0.01), workers: 1, clipNorm: 1)
let distributed = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: workers, clipNorm: 1)
distributed.gradientReducer = reducer
var singleLosses: [Double] = [], distributedLosses: [Double] = []
do {
    try single.train(on: streams, for: .steps(steps)) { if case .step(let r) = $0 { singleLosses.append(r.loss) } }
    try distributed.train(on: local, for: .steps(steps)) { if case .step(let r) = $0 { distributedLosses.append(r.loss) } }
} catch { fail("\(error)") }
let lossDifference = zip(singleLosses, distributedLosses).reduce(0.0) { max($0, abs($1.0 - $1.1)) }
let weightDifference = maxDifference(oracle.parameters.values, model.parameters.values)
if world.isRoot {
    print("ranks \(world.size) workers \(workers) cell \(cell.rawValue) batch \(batchSize)")
    print("gradient \(gradientDifference) \(gradientScale)")
    print(
        "losses \(lossDifference) \(distributedLosses.count) first \(distributedLosses.first ?? .nan) last \(distributedLosses.last ?? .nan)"
    )
    print("weights \(weightDifference)")
}
world.finish()
