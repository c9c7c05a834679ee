# Paper A experiment 2 (SHD/SSC classification, e-prop vs BPTT) and Paper B's Randman MLP.
# smoke/quick train on the synthetic stand-ins (labelled synthetic), paper on real SHD/SSC.

TRAIN_DATA = {
    "paper": ["shd", "ssc"],
    "quick": ["synthetic_shd", "synthetic_ssc"],
    "smoke": ["synthetic_shd"],  # the SSC stand-in runs the same code path; smoke stays short
}[PROFILE]
# Paper A's neurons: LIF and its adLIF-like "ALIF" (configs/model/paper_a_alif.yaml). Bellec's
# ALIF (model=alif), adlif and the literature models (shd_adlif_mlp, ssc_recurrent_alif) work
# by hand.
TRAIN_MODELS = ["lif", "paper_a_alif"]
TRAIN_ALGORITHMS = ["eprop", "bptt"]
# Seeds of the grid (`--config train_seeds=[0,1,2]`): seed 0 (Paper A's) runs in
# <data>_<model>_<alg>/, seed k > 0 in <data>_<model>_<alg>_seed<k>/; the accuracy table
# averages over seeds.
TRAIN_SEEDS = sorted({int(seed) for seed in config["train_seeds"]})
TRAIN_RUNS = [f"{data}_{model}_{algorithm}" + (f"_seed{seed}" if seed else "")
              for data in TRAIN_DATA for model in TRAIN_MODELS for algorithm in TRAIN_ALGORITHMS
              for seed in TRAIN_SEEDS]


wildcard_constraints:
    train_data="shd|ssc|synthetic_shd|synthetic_ssc",
    train_model="lif|paper_a_alif|alif|adlif",
    train_algorithm="eprop|bptt",
    train_seed="(_seed[1-9][0-9]*)?",


TRAIN = result_dir("train_snn")  # (train_snn@<digest> with overrides of train_snn)
TRAIN_RUN = "{train_data}_{train_model}_{train_algorithm}{train_seed}"


def train_overrides(wildcards):
    """Hydra overrides of one run of the grid: its data, model, algorithm and seed."""
    seed = int(wildcards.train_seed.removeprefix("_seed") or 0)
    return [f"data={wildcards.train_data}", f"model={wildcards.train_model}",
            f"algorithm={wildcards.train_algorithm}", f"seed={seed}", "progress=false"]


rule train_snn:
    input:
        script=entry_point("train_snn"),
    output:
        csv=f"{TRAIN}/{TRAIN_RUN}/history.csv",
        metrics=f"{TRAIN}/{TRAIN_RUN}/metrics.json",
    log:
        log_file(f"train_snn_{TRAIN_RUN}", "train_snn"),
    benchmark:
        benchmark_file(f"train_snn_{TRAIN_RUN}", "train_snn")
    params:
        **run_params("train_snn", train_overrides),
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment("train_snn", outdir=f"{TRAIN}/{{wildcards.train_data}}_{{wildcards.train_model}}_"
                   "{wildcards.train_algorithm}{wildcards.train_seed}", shared=True) + " > {log} 2>&1"


rule train_snn_randman:
    input:
        script=entry_point("train_snn"),
    output:
        csv=f"{TRAIN}/randman_mlp/history.csv",
        metrics=f"{TRAIN}/randman_mlp/metrics.json",
    log:
        log_file("train_snn_randman_mlp", "train_snn"),
    benchmark:
        benchmark_file("train_snn_randman_mlp", "train_snn")
    params:
        **run_params("train_snn",
                     ["data=randman", "model=randman_mlp", "algorithm=bptt", "progress=false"]),
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment("train_snn", outdir=f"{TRAIN}/randman_mlp", shared=True) + " > {log} 2>&1"


rule figure_train_learning_curves:
    input:
        expand(f"{TRAIN}/{{run}}/history.csv", run=TRAIN_RUNS),
        **figure_inputs("learning_curves"),
    output:
        target(figure_file("train_learning_curves.png", "train_snn")),
    log:
        log_file("figure_train_learning_curves", "train_snn"),
    params:
        **figure_params("learning_curves"),
    shell:
        figure("learning_curves", TRAIN, "{output}") + " > {log} 2>&1"


rule figure_train_accuracy_table:
    input:
        expand(f"{TRAIN}/{{run}}/metrics.json", run=TRAIN_RUNS),
        rules.train_snn_randman.output,  # every file the figure reads
        **figure_inputs("accuracy_table"),
    output:
        target(figure_file("train_accuracy_table.md", "train_snn")),
    log:
        log_file("figure_train_accuracy_table", "train_snn"),
    params:
        **figure_params("accuracy_table"),
    shell:
        figure("accuracy_table", TRAIN, "{output}") + " > {log} 2>&1"
