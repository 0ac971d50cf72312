// Package augment is the data augmentation of budgetrain, in pure Go: per-image
// transforms on HWC uint8 images, normalization to CHW float32, and batch
// mixers with soft-target bookkeeping. It follows the paper's code (Arazo et
// al., "How Important is Importance Sampling for Deep Budgeted Training?",
// BMVC 2021; spec §3) and adds a few well-known methods that the paper does
// not use.
//
// # Policy grammar
//
// A policy is "none" or tokens joined by "+", applied in the order written
// (never reordered); a mixer, if any, is the last token. Every parameter of
// a token may be left out for its default, and parameters may come in any
// order (rand-m9-n3); those in brackets default to the dataset's numbers.
// The listing is Grammar's, generated from the op table that Parse reads
// (TestGrammarInDocs keeps it here and in docs/augment.md):
//
//	policy = "none" | { transform "+" } ( transform | mixer )
//
//	standard[-pad{P}][-flip{F}]  zero-pad, random crop, horizontal flip (spec §3.1)
//	                             integer P >= 0, 0 <= F <= 1; default P and F from the dataset
//	rand-n{N}-m{M}               RandAugment, N ops at magnitude M of 30 (spec §3.4)
//	                             integer N >= 1, integer 0 <= M <= 30; default N 2, M 4
//	trivial                      TrivialAugment Wide (not in the paper)
//	autoaug-cifar10              AutoAugment, CIFAR-10 policy (not in the paper)
//	cutout-{size}                Cutout, a size x size square of the dataset mean (not in the paper)
//	                             integer size >= 1; default size 16
//	erase-p{p}                   random erasing with probability p (not in the paper)
//	                             0 <= p <= 1; default p 0.5
//	mixup-a{alpha}               mixer: mixup, 2 parts (spec §3.2)
//	                             alpha > 0; default alpha 0.3
//	ricap-a{alpha}               mixer: RICAP, 4 parts (spec §3.3; alpha is its beta)
//	                             alpha > 0; default alpha 0.3
//	cutmix-a{alpha}-p{p}         mixer: CutMix on a batch with probability p (not in the paper)
//	                             alpha > 0, 0 <= p <= 1; default alpha 1, p 1
//	none                         no augmentation; stands alone
//
// CutMix's p defaults to 1, which is what "cutmix" meant before p existed;
// the CIFAR setting of Yun et al. is cutmix-a1-p0.5. RICAP's alpha is the
// beta of its paper (Beta(beta, beta) boundary position).
//
// Examples: "standard" (the paper's default), "rand-n2-m4+standard" (the
// paper's RandAugment, which runs before the crop and flip),
// "standard+mixup-a0.3", "standard+ricap-a0.3", "standard+cutmix-a1",
// "rand-n2-m4+standard+cutout-16". Normalization always follows the
// transforms and precedes the mixer. Config holds the policy;
// Pipeline.String prints the resolved pipeline.
//
// # Per-image transforms
//
//   - Standard: zero padding of Pad pixels, a uniform random crop back to
//     size, horizontal flip with FlipProb (torchvision RandomCrop +
//     RandomHorizontalFlip; spec §3.1: pad 4, flip 0.5, or 0 for SVHN).
//   - RandAugment (Cubuk et al. 2020, "RandAugment: Practical Automated Data
//     Augmentation with a Reduced Search Space", CVPRW), as implemented by
//     ildoonet/pytorch-randaugment, which the paper uses (spec §3.4): 16 ops
//     drawn with replacement, value v = M/30*(max-min)+min, random sign for
//     the signed ops. The ops, each exported with explicit parameters and
//     matching Pillow exactly (testdata/pillow_golden.json): AutoContrast,
//     Equalize, Invert, Rotate, Posterize, Solarize, SolarizeAdd, Color,
//     Contrast, Brightness, Sharpness, ShearX, ShearY, CutoutAbs, TranslateX
//     (TranslateXabs), TranslateY (TranslateYabs); Affine is the underlying
//     PIL transform.
//   - TrivialAugment Wide (Müller & Hutter 2021, "TrivialAugment:
//     Tuning-free Yet State-of-the-Art Data Augmentation", ICCV): one op of
//     14 at a uniform magnitude of 31 bins.
//   - AutoAugment CIFAR-10 policy (Cubuk et al. 2019, "AutoAugment: Learning
//     Augmentation Strategies from Data", CVPR): one of 25 sub-policies of
//     two ops, each with its probability and magnitude (0..9).
//   - Cutout (DeVries & Taylor 2017, "Improved Regularization of
//     Convolutional Neural Networks with Cutout", arXiv:1708.04552).
//   - RandomErasing (Zhong et al. 2020, "Random Erasing Data Augmentation",
//     AAAI): scale (0.02, 0.33), ratio (0.3, 3.3), random values.
//
// All work on grey (C = 1, e.g. Fashion-MNIST) and RGB (C = 3) images.
//
// # Batch mixers
//
// Mixers act on the normalized Batch and record, for every output image,
// which batch positions its parts came from (Src) and their label weights
// (Weight, the actual pixel shares), so that soft targets
// (Batch.SoftTargets) and per-sample credit (importance sampling) can be
// computed:
//
//   - Mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk
//     Minimization", ICLR; spec §3.2): 2 parts.
//   - RICAP (Takahashi et al. 2018, "RICAP: Random Image Cropping and
//     Patching Data Augmentation for Deep CNNs", ACML; spec §3.3): 4 parts.
//   - CutMix (Yun et al. 2019, "CutMix: Regularization Strategy to Train
//     Strong Classifiers with Localizable Features", ICCV): 2 parts, weight
//     from the clipped box area, applied to a batch with probability P
//     (their cutmix_prob). P defaults to 1 so that policies written before P
//     existed keep their meaning; a skipped batch stays unmixed (Parts = 1).
//
// Beta and Gamma samplers (Marsaglia & Tsang 2000) are exported.
//
// # Randomness and concurrency
//
// Every random choice comes from the *rand.Rand passed in (math/rand/v2,
// seeded by the caller with rand.NewPCG). Transforms and mixers keep scratch
// buffers so that the steady state allocates nothing per image; a Pipeline
// is therefore for one goroutine, and Pipeline.Clone makes one per worker.
//
// # Deviations
//
//   - CutoutAbs on grey images fills PIL's L value of (125, 123, 114), 123;
//     PIL itself raises on an RGB fill for an L image.
//   - Cutout runs on uint8 before normalization and fills the dataset mean
//     (about 0 once normalized) where the reference zeroes the normalized
//     tensor.
//   - AutoAugment uses torchvision's magnitude bins (enhancement 1±0.9 with a
//     random sign) rather than the paper's unsigned [0.1, 1.9].
package augment
