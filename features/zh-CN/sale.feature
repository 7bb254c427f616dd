# language: zh-CN
@payment @zh-CN
功能: 消费
  消费请求必须带着卡片真实的读卡方式、输入的金额、加密的PIN块、芯片卡的IC卡数据和正确的MAC到达收单机构；
  持卡人账户只被借记一次，终端如实显示结果。

  场景大纲: <方式>消费：主机收到的内容和终端的显示
    当 操作员选择“消费”
    而且 操作员输入金额 88.00 元
    那么 屏幕显示“88.00”
    当 持卡人<读卡> <卡>
    而且 持卡人<密码>
    那么 屏幕显示“交易成功”
    而且 主机收到消费请求
    而且 该请求金额为 88.00 元
    而且 该请求的输入方式为“<输入方式>”
    而且 该请求的MAC存在且正确
    而且 该请求<PIN块>
    而且 该请求<IC>IC卡数据
    而且 主机批准了该请求
    而且 卡 <卡> 被借记 88.00 元
    而且 打印了终端声明联数的签购单

    @CUP-PAY-001 @severity:critical @mandatory @magstripe @printer
    例子: 磁条
      | 方式 | 读卡 | 卡           | 密码           | 输入方式 | PIN块           | IC   |
      | 刷卡 | 刷卡 | UP-DEBIT-MAG | 输入正确的密码 | 021      | 带有加密的PIN块 | 不带 |

    @CUP-PAY-002 @severity:critical @mandatory @contact @printer
    例子: 接触式芯片
      | 方式 | 读卡 | 卡          | 密码           | 输入方式 | PIN块           | IC   |
      | 插卡 | 插卡 | UP-DEBIT-IC | 输入正确的密码 | 051      | 带有加密的PIN块 | 带有 |

    @CUP-PAY-003 @severity:critical @mandatory @contactless @printer
    例子: 非接触
      | 方式 | 读卡 | 卡            | 密码         | 输入方式 | PIN块     | IC   |
      | 挥卡 | 挥卡 | UP-DEBIT-CTLS | 无密码确认   | 072      | 不带PIN块 | 带有 |

  # 小额免密免签：限额取终端声明的值（profile contactless.noPinLimitFen / noSignatureLimitFen）。
  @CUP-PAY-015 @severity:critical @mandatory @contactless @printer
  场景: 在终端声明的免密免签限额内挥卡，不输密码也不签名
    当 操作员选择“消费”
    而且 操作员输入终端声明的免密免签限额金额
    而且 持卡人挥卡 UP-DEBIT-CTLS
    那么 终端不提示输入密码直接继续
    而且 屏幕显示“交易成功”
    而且 主机收到消费请求
    而且 该请求金额为输入的金额
    而且 该请求不带PIN块
    而且 该请求的9F34表明无需持卡人验证
    而且 签购单无签名栏并标明免密免签

  # 电签（cup8583.md §3.1：0820，60.1 07，60.3 800）：无纸化终端上持卡人在屏幕上签名，终端上送签名图像；
  # 收单机构须在终端下一笔交易之前收到该图像，并关联到它所签的已批准消费（同一终端、批次号 + 凭证号、参考号、金额）。
  @CUP-PAY-017 @severity:normal @optional @magstripe @printer
  场景: 电子签名：屏幕上的签名上送到收单机构并关联到所签的消费
    假如 终端声明支持电子签名
    当 用卡 UP-DEBIT-MAG 刷卡消费 66.00 元
    那么 主机收到消费请求
    而且 主机批准了该请求
    而且 持卡人在终端屏幕上签了名
    而且 主机收到该签名并关联到已批准的消费
    而且 签名图像附在报告中

  @CUP-PAY-004 @severity:critical @mandatory @contact @printer
  场景大纲: 消费金额 <金额> 原样到达主机和账务
    当 用卡 UP-CREDIT-IC 插卡消费 <金额> 元
    那么 屏幕显示“交易成功”
    而且 主机收到消费请求
    而且 该请求金额为 <金额> 元
    而且 卡 UP-CREDIT-IC 被借记 <金额> 元
    而且 每联都显示金额 <金额> 元

    例子:
      | 金额      |
      | 0.01      |
      | 1.00      |
      | 1,000.00  |
      | 12,345.67 |

  @CUP-PAY-018 @severity:normal @mandatory @magstripe
  场景: 输错的一位金额用清除键删去，送出的是本来要输的金额
    当 操作员选择“消费”
    而且 操作员输入金额 45.60 元，按清除键删去一位输错的数字
    而且 持卡人刷卡 UP-DEBIT-MAG
    而且 持卡人输入正确的密码
    那么 主机收到消费请求
    而且 该请求金额为 45.60 元
    而且 卡 UP-DEBIT-MAG 被借记 45.60 元
