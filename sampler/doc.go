// Package sampler chooses which training samples a budgeted run visits each epoch,
// and, for Selective Backprop, which forwarded examples are backpropagated.
//
// It implements the sampling methods of Arazo et al., "How Important is Importance
// Sampling for Deep Budgeted Training?" (BMVC 2021; the project's spec paper.md §1,
// §2, §7), plus the baselines and related methods the paper is compared with.
// It is pure Go (no cgo, no tensors) so it tests, fuzzes and benchmarks fast.
//
// # Budget and the training loop
//
// N is the training-set size, b the budget in (0,1], B the batch size. Each epoch the
// budgeted methods return K = ⌊N·b⌋ indices (Config.EpochSize); the caller trains
// ⌊K/B⌋ batches of B in the returned order (dropping the last partial batch), calls
// Observe with each batch's per-example losses, and stops when the global step budget
// T = E·⌊K/B⌋ is used up (paper §1). A sampler never changes the learning rate.
//
// # Determinism
//
// Each sampler owns one *rand.Rand over a PCG built from (Config.Seed, a per-method
// stream id = FNV-1a of the method name). Epoch(e, n) reseeds it from (seed, stream, e)
// before drawing, so an epoch's selection is a pure function of (seed, e, n, the
// observations so far): calling Epoch twice, or resuming from MarshalState at an
// epoch boundary, gives the same indices. Selective Backprop's Select draws from the
// same generator after the epoch's reseed.
//
// # Methods (Config.Method)
//
// sgd — full data (paper §2.6): a fresh permutation of all N every epoch; n is ignored.
// The caller stops at the same global step budget as every other method, so b = 1 is
// the paper's SGD reference and b < 1 gives about b·E full epochs (the "fewer full
// epochs" baseline of §1). No statistics.
//
// unif-sgd — uniform subset (paper §2.2): each epoch an independent uniform subset
// of n indices without replacement, in random order (partial Fisher–Yates). This is
// what p ∝ w + mean(w) gives for w ≡ 1.
//
// p-sgd — loss/difficulty-proportional subset (paper §2.3–2.5, after Chang et al.,
// NeurIPS 2017, "Active Bias"). Per sample it keeps āᵢ, the running mean over visits of
// 1 − p_true with p_true = exp(−loss) (softmax probability of the credited label),
// initialised to −1 ("never seen"), and tᵢ (times_seen, initialised to 1e-6). After
// each batch, exactly as the reference code:
//
//	count = t[idx], or 0 for the whole batch if no sample in it was seen before
//	ā[idx] = (count·max(ā,0) + (1 − p_true)) / (count + 1);  t[idx] += 1 (1+1e-6 snaps to 1)
//
// At the start of an epoch the importance is w = ā, all ones if nothing was seen, and
// never-seen samples get max(w) (so they are prioritised). Then (§2.4)
//
//	ε = mean(w);  pᵢ = (wᵢ + ε) / Σⱼ(wⱼ + ε)   (1e-10 added to every wᵢ if the sum is 0)
//
// and n distinct indices are drawn by successive sampling from p without replacement
// (NumPy choice(replace=False)), implemented exactly and in O(N) by the
// Efraimidis–Spirakis exponential keys Eᵢ/pᵢ, Eᵢ ~ Exp(1), keeping the n smallest via
// partial selection, then shuffled. If fewer than n entries of p are positive, zeros
// become 1e-10 and p is renormalised (the reference's fallback). The loss is not
// re-weighted, so the gradient is biased, as in the paper.
//
// c-sgd — uncertainty subset (paper §2.3): as p-sgd with w ← w(1 − w), i.e.
// p̄(1 − p̄). Quirk (b) of §7 is kept: never-seen samples get max·(1 − max), so they
// are not prioritised, and the first epoch (w ≡ 1 → 0) is uniform.
//
// Options of p-sgd and c-sgd (also honoured by loss-is and upper-bound-is):
// NoSmoothing drops ε; LatestValue uses the latest 1 − p_true instead of the running
// mean; WarmupEpochs makes epochs e < WarmupEpochs uniform. Deviation: the reference's
// c_sgd_warmup = W compares with a 1-based epoch, giving W−1 uniform epochs; here
// WarmupEpochs counts the uniform epochs.
//
// selective-backprop — Jiang et al. 2019, "Accelerating Deep Learning by Focusing on
// the Biggest Losers" (paper §2.7, the vendored "relative" calculator). Epoch returns
// a permutation of all N (n ignored, quirk (c)); the caller forwards every batch and
// calls Select(loss). Select appends the batch's losses to a history of the last
// SBHistory (1024) losses, then keeps position k if U < pctₖ^β, U ~ U[0,1), where pctₖ
// is the fraction of the history strictly below loss[k]. Until N losses have been
// given to Select (the first epoch) it keeps everything and leaves the history alone
// (priming). β = SBBeta, or, if negative, β = 1/b − 1: with pct ≈ U(0,1), E[pct^β] = 1/(β+1)
// = b, so the backprop fraction matches the budget (how the paper matched β to budgets
// was not retrieved; it defaults to β = 3). Observe only counts visits: give it the
// backpropagated examples.
//
// fixed-random — "Random" of the paper's teaser figure (§2.8): one uniform subset of n
// drawn at the first Epoch call (n of later calls is ignored), reshuffled every epoch.
//
// fixed-coreset — "Core-set" of the teaser figure (§2.8; the paper's algorithm was not
// retrieved): one subset of n chosen once by greedy k-center (Sener & Savarese, ICLR
// 2018, "Active Learning for Convolutional Neural Networks: A Core-Set Approach"):
// starting from a uniformly drawn point, repeatedly add argmaxᵢ minⱼ∈S ‖xᵢ − xⱼ‖₂ on
// the per-sample features given once to SetFeatures (FeatureUser). The features are
// first rotated onto their principal axes (distances unchanged up to float32
// rounding); the greedy loop is exact, prunes with the triangle inequality and runs
// on GOMAXPROCS goroutines, and its result does not depend on their number. Cost: O(N)
// memory; time between O(N·k·dim/P) for structureless features and far less for
// clustered ones (see BenchmarkCoreset). Epoch panics if SetFeatures was never called.
//
// infobatch — Qin et al., ICLR 2024, "InfoBatch: Lossless Training Speed Up by
// Unbiased Dynamic Data Pruning". The score of a sample is its latest observed loss.
// While pruning, the m samples with a score below the mean of the observed scores are
// "well learned": int((1−r)·m) of them, chosen uniformly (r = InfoBatchRatio, default
// 0.5), are kept with loss weight 1/(1−r) (Weighter), the others are pruned; all other
// samples, including never-observed ones, are kept with weight 1. n is ignored and the
// epoch size varies: the run is bounded by the caller's global step budget T
// (Config.TotalSteps), not per epoch. Annealing: InfoBatch trains its last (1−δ) of
// epochs on full data (δ = InfoBatchAnneal, default 0.875). Deviation: since epochs here
// are neither fixed in number nor in length, progress is counted in optimizer steps,
// one per Observe call, and the epoch boundary nearest to step δ·T (within half a
// pruned epoch) starts the full-data phase: from then on every epoch returns all N with
// weight 1, about the last (1−δ)·T steps. Counting epochs against δ·E instead would
// never anneal below b ≈ 0.66, where the T steps end before epoch δ·E. Stats.Pruned
// counts the samples left out; the pipeline reports it as "pruned" in the epoch metrics
// and the summary.
//
// loss-is — unbiased importance sampling on the loss. The importance wᵢ is the running
// mean of sample i's loss (never-observed samples get the largest mean, all ones before
// any observation), smoothed as in p-sgd: pᵢ ∝ wᵢ + mean(w). Each epoch draws n
// indices WITH replacement from p (Walker's alias method, O(N + n)); Weights returns
// 1/(N·pᵢ), so that E[(1/(N·pᵢ))·ℓᵢ] = (1/N)·Σⱼ ℓⱼ, an unbiased estimate of the
// full-data mean loss.
//
// upper-bound-is — Katharopoulos & Fleuret, ICML 2018, "Not All Samples Are Created
// Equal: Deep Learning with Importance Sampling": as loss-is with wᵢ the running mean
// of Obs.GradNorm = ‖∂ℓ/∂logits‖₂ = ‖softmax − onehot‖₂, the paper's upper bound on the
// per-sample gradient norm (NeedsGradNorm reports true). Deviations: the paper scores
// a freshly forwarded large batch every step and switches importance sampling on only
// when the predicted variance reduction is large; here the scores are running means
// across epochs (as p-sgd), smoothed by ε = mean(w), and sampling is always on.
//
// # The share-credit rule (mixup, RICAP)
//
// When a batch mixer builds one training image from several sources, the caller
// credits each source with its share: Obs.Weight = λ (mixup) or the patch area
// (RICAP), and Obs.Loss = the cross-entropy of the mixed image against that source's
// label. Running means are then weighted: m ← (t·m + w·v)/(t + w) and t ← t + w.
// For p-sgd and c-sgd the first credit of a sample sets t = w (the reference's snap of
// 1 + 1e-6 to 1, generalised) and the whole-batch count reset applies when no credited
// sample was seen before; with w ≡ 1 and distinct indices this is exactly the
// reference update. Indices may repeat within one Obs; entries are applied in order.
// This replaces quirk (a) of §7 (RICAP credits importance to the wrong sample).
//
// # Observability
//
// Every sampler implements Reporter and VisitCounter. A visit is one Obs entry (its
// weight ignored); Stats.Entropy is H of the visit counts (max ln N, paper §5.1,
// claim 4), Stats.NeverSeen the fraction never visited, Stats.MeanImportance the mean
// of the method's importance vector (1 − p̄ for p-sgd, p̄(1 − p̄) for c-sgd, mean loss
// for loss-is and infobatch, mean gradient-norm bound for upper-bound-is, 0 otherwise).
package sampler
