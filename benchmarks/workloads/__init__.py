"""The workloads of the suite, in report order; each module defines its ``Workload`` row(s)."""

from benchmarks.workloads import (
    cnn,
    dataloader,
    import_time,
    inference,
    lstm,
    mlp,
    resnet,
    tiny,
    transformer,
)

ALL = {
    w.name: w
    for w in (
        tiny.WORKLOAD,
        mlp.WORKLOAD,
        cnn.WORKLOAD,
        lstm.WORKLOAD,
        resnet.WORKLOAD,
        transformer.WORKLOAD,
        inference.BATCH1,
        inference.BATCH256,
        dataloader.WORKLOAD,
        import_time.WORKLOAD,
    )
}
