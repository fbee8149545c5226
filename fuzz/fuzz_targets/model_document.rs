//! Model documents of every kind: any text either loads into a model that then answers a
//! prediction for a row of the right width, or is a typed error; never a panic, an abort or an
//! allocation the document's size does not justify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ndarray::Array2;
use segcore::cluster::kprototypes::KPrototypes;
use segcore::cluster::latent_class::LatentClass;
use segcore::clv::{BetaGeo, GammaGamma, ParetoNbd};
use segcore::features::pipeline::FeaturePipeline;
use segcore::partial::{PartialStats, PartitionTask};
use segcore::persist;
use segcore::profile::SegmentationProfile;
use segcore::reduce::{Ca, Mca, Pca};
use segcore::serve::AnyModel;

/// Rows wider than this are not built (the document may declare any width).
const MAX_WIDTH: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = AnyModel::from_json(document) {
        let width = model.n_features();
        if width <= MAX_WIDTH {
            let row = vec![0.5; width];
            if let Ok(segment) = model.predict_one(&row) {
                assert!(segment < model.n_segments());
            }
        }
    }
    if let Ok(pca) = persist::from_json::<Pca<f64>>(document) {
        let width = pca.n_features();
        if width <= MAX_WIDTH {
            let _ = pca.transform(Array2::from_elem((2, width), 1.0).view());
        }
    }
    let _ = persist::from_json::<Pca<f32>>(document);
    let _ = persist::from_json::<Ca>(document);
    let _ = persist::from_json::<Mca>(document);
    let _ = persist::from_json::<KPrototypes>(document);
    let _ = persist::from_json::<LatentClass>(document);
    let _ = persist::from_json::<BetaGeo>(document);
    let _ = persist::from_json::<ParetoNbd>(document);
    let _ = persist::from_json::<GammaGamma>(document);
    let _ = FeaturePipeline::from_json(document);
    let _ = PartialStats::from_json(document);
    let _ = PartitionTask::from_json(document);
    let _ = SegmentationProfile::from_json(document);
});
