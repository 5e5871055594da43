# The module as a whole: the manifest, the help, the views, and syntax that
# Windows PowerShell 5.1 parses too (these tests run on PowerShell 7 only).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $script:Manifest = Join-Path $script:ModuleDir 'PermWatch.psd1'
    $script:Exported = @('Get-PermWatchStatus', 'Get-PermWatchClusterStatus', 'Test-PermWatchCluster',
        'Get-PermWatchJournal', 'Invoke-PermWatchRepair', 'Restore-PermWatchKey', 'Install-PermWatch')
}

Describe 'The PermWatch module' {
    It 'has a valid manifest for 5.1 and 7 whose FunctionsToExport is the explicit list' {
        $m = Test-ModuleManifest -Path $script:Manifest -ErrorAction Stop
        $m.PowerShellVersion | Should -Be ([version]'5.1')
        $m.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $data = Import-PowerShellDataFile -Path $script:Manifest
        $data.FunctionsToExport | Should -Be $script:Exported
        $data.FunctionsToExport | Where-Object { $_ -match '\*' } | Should -BeNullOrEmpty
    }

    It 'exports those functions and nothing else' {
        @(Get-Command -Module PermWatch | ForEach-Object Name | Sort-Object) |
            Should -Be @($script:Exported | Sort-Object)
    }

    It 'has help with a synopsis, a description and a real example on <_>' -ForEach @(
        'Get-PermWatchStatus', 'Get-PermWatchClusterStatus', 'Test-PermWatchCluster',
        'Get-PermWatchJournal', 'Invoke-PermWatchRepair', 'Restore-PermWatchKey', 'Install-PermWatch') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$_\s"      # the auto-generated synopsis is the syntax
        ($help.Description | Out-String) | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 1
        # the example runs the function itself, with its real parameters
        $code = @($help.Examples.Example | ForEach-Object { $_.Code }) -join "`n"
        $code | Should -Match ([regex]::Escape($_))
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($code, [ref]$null, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $params = (Get-Command $_).Parameters.Keys
        $name = $_
        $calls = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq $name }, $true))
        $calls.Count | Should -BeGreaterOrEqual 1
        foreach ($p in @($calls | ForEach-Object { $_.CommandElements } |
                    Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] })) {
            $params | Should -Contain $p.ParameterName -Because "-$($p.ParameterName) in the example must be a parameter"
        }
    }

    It 'shows a real example with Get-Help Test-PermWatchCluster -Examples' {
        $text = Get-Help Test-PermWatchCluster -Examples | Out-String
        $text | Should -Match 'Test-PermWatchCluster -Group .+ -Quiet'
    }

    It 'has a table view for every PSTypeName it returns' {
        $source = Get-Content -Raw (Join-Path $script:ModuleDir 'PermWatch.psm1')
        $types = @([regex]::Matches($source, "PSTypeName\s*=\s*'([^']+)'") | ForEach-Object { $_.Groups[1].Value } |
                Sort-Object -Unique)
        $types.Count | Should -BeGreaterOrEqual 8
        [xml]$format = Get-Content -Raw (Join-Path $script:ModuleDir 'PermWatch.format.ps1xml')
        $tables = @($format.Configuration.ViewDefinitions.View | Where-Object { $_.TableControl } |
                ForEach-Object { $_.ViewSelectedBy.TypeName })
        foreach ($t in $types) { $tables | Should -Contain $t }
    }

    It 'uses no syntax that Windows PowerShell 5.1 cannot parse in <_>' -ForEach @(
        'installer/PermWatch/PermWatch.psm1', 'installer/PermWatch/PermWatch.psd1', 'installer/Deploy-PermWatch.ps1') {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $script:Root $_), [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        # PowerShell 7 only: a ? b : c, a ?? b, a ??= b, a && b, a || b, $a?.b, $a?[0], clean {}
        $newer = @($ast.FindAll({
                    param($n)
                    $n.GetType().Name -in 'TernaryExpressionAst', 'PipelineChainAst' -or
                    ($n -is [System.Management.Automation.Language.BinaryExpressionAst] -and "$($n.Operator)" -eq 'QuestionQuestion') -or
                    ($n -is [System.Management.Automation.Language.AssignmentStatementAst] -and "$($n.Operator)" -eq 'QuestionQuestionEquals') -or
                    ($n -is [System.Management.Automation.Language.MemberExpressionAst] -and $n.NullConditional) -or
                    ($n -is [System.Management.Automation.Language.IndexExpressionAst] -and $n.NullConditional) -or
                    ($n -is [System.Management.Automation.Language.ScriptBlockAst] -and $n.CleanBlock)
                }, $true) | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Extent.Text)" })
        $newer | Should -BeNullOrEmpty
        # Neither are the 7-only automatic variables or the -Parallel switch.
        @($tokens | Where-Object { $_.Text -in '$IsWindows', '$IsLinux', '$IsMacOS', '-Parallel' }) | Should -BeNullOrEmpty
    }

    It 'keeps Deploy-PermWatch.ps1 as a thin wrapper around Install-PermWatch' {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile(
            (Join-Path $script:Root 'installer/Deploy-PermWatch.ps1'), [ref]$null, [ref]$null)
        $commands = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) |
                ForEach-Object { $_.GetCommandName() })
        $commands | Should -Contain 'Install-PermWatch'
        foreach ($c in 'New-PSSession', 'Invoke-Command', 'Copy-Item', 'Start-Process', 'Get-ClusterNode') {
            $commands | Should -Not -Contain $c
        }
    }
}
