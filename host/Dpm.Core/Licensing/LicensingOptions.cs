using System.ComponentModel.DataAnnotations;

namespace Dpm.Core.Licensing;

/// <summary>Where licences live and what evaluation mode allows.</summary>
public sealed class LicensingOptions
{
    public const string Section = "Dpm:Licensing";

    /// <summary>The folder that holds installed licence files (*.lic) and the evaluation start.</summary>
    [Required]
    public string Directory { get; set; } = "";

    /// <summary>How long evaluation mode lasts from the first start.</summary>
    [Range(1, 3650)]
    public int EvaluationDays { get; set; } = 180;

    /// <summary>How many computers, of any tier, evaluation mode lets you protect.</summary>
    [Range(1, 100)]
    public int EvaluationComputers { get; set; } = 5;
}
